#!/usr/bin/env node
// Generates src/evaluator/parserTables.ts: the LALR(1) tables of the Nix grammar.
//
// Why tables from bison: Nix's parser is a bison LALR(1) parser, and its syntax
// errors ("unexpected X, expecting A or B") are a function of bison's tables
// (default reductions, which tokens a state lists). Feeding the same grammar
// (same symbol order, same precedence declarations) to bison gives the same
// tables, so our table-driven parser reports exactly the same errors, and it
// needs no recursion (deep nesting cannot overflow the JS stack).
//
// Regenerate (needs bison >= 3.6, `apt-get install bison`):
//   node scripts/gen-parser-tables.mjs
// The grammar below was written from Nix's src/libexpr/parser.y (current master);
// every alternative carries `@action`, the name of its semantic action in
// src/evaluator/parser.ts. Rule numbers follow the order of alternatives.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const header = `
%token ID "identifier"
%token STR "string"
%token IND_STR "indented string"
%token INT_LIT "integer"
%token FLOAT_LIT "floating-point literal"
%token PATH "path"
%token HPATH "'~/…' path"
%token SPATH "'<…>' path"
%token PATH_END "end of path"
%token URI "URI"
%token IF "'if'"
%token THEN "'then'"
%token ELSE "'else'"
%token ASSERT "'assert'"
%token WITH "'with'"
%token LET "'let'"
%token IN_KW "'in'"
%token REC "'rec'"
%token INHERIT "'inherit'"
%token EQ "'=='"
%token NEQ "'!='"
%token LEQ "'<='"
%token GEQ "'>='"
%token UPDATE "'//'"
%token CONCAT "'++'"
%token AND "'&&'"
%token OR "'||'"
%token IMPL "'->'"
%token OR_KW "'or'"
%token PIPE_FROM "'<|'"
%token PIPE_INTO "'|>'"
%token DOLLAR_CURLY "'\${'"
%token IND_STRING_OPEN "start of an indented string"
%token IND_STRING_CLOSE "end of an indented string"
%token ELLIPSIS "'...'"
%token REPL_BINDINGS "start of REPL bindings"

%right IMPL
%left OR
%left AND
%nonassoc EQ NEQ
%nonassoc '<' '>' LEQ GEQ
%right UPDATE
%left NOT
%left '+' '-'
%left '*' '/'
%right CONCAT
%nonassoc '?'
%nonassoc NEGATE
`;

const grammar = `
start: expr @start
  | REPL_BINDINGS binds1 @startRepl
  ;
expr: expr_function @pass1 ;
expr_function
  : ID ':' expr_function @lambdaArg
  | formal_set ':' expr_function @lambdaFormals
  | formal_set '@' ID ':' expr_function @lambdaFormalsAt
  | ID '@' formal_set ':' expr_function @lambdaAtFormals
  | ASSERT expr ';' expr_function @assert
  | WITH expr ';' expr_function @with
  | LET binds IN_KW expr_function @let
  | expr_if @pass1
  ;
expr_if
  : IF expr THEN expr ELSE expr @if
  | expr_pipe_from @pass1
  | expr_pipe_into @pass1
  | expr_op @pass1
  ;
expr_pipe_from
  : expr_op PIPE_FROM expr_pipe_from @pipeFrom
  | expr_op PIPE_FROM expr_op @pipeFrom
  ;
expr_pipe_into
  : expr_pipe_into PIPE_INTO expr_op @pipeInto
  | expr_op PIPE_INTO expr_op @pipeInto
  ;
expr_op
  : '!' expr_op %prec NOT @not
  | '-' expr_op %prec NEGATE @negate
  | expr_op EQ expr_op @eq
  | expr_op NEQ expr_op @neq
  | expr_op '<' expr_op @lt
  | expr_op LEQ expr_op @leq
  | expr_op '>' expr_op @gt
  | expr_op GEQ expr_op @geq
  | expr_op AND expr_op @and
  | expr_op OR expr_op @or
  | expr_op IMPL expr_op @impl
  | expr_op UPDATE expr_op @update
  | expr_op '?' attrpath @hasAttr
  | expr_op '+' expr_op @plus
  | expr_op '-' expr_op @minus
  | expr_op '*' expr_op @mul
  | expr_op '/' expr_op @div
  | expr_op CONCAT expr_op @concat
  | expr_app @pass1
  ;
expr_app
  : expr_app expr_select @app
  | expr_select @appSingle
  ;
expr_select
  : expr_simple '.' attrpath @select
  | expr_simple '.' attrpath OR_KW expr_select @selectOr
  | expr_simple OR_KW @cursedOr
  | expr_simple @pass1
  ;
expr_simple
  : ID @var
  | INT_LIT @int
  | FLOAT_LIT @float
  | '"' string_parts '"' @string
  | IND_STRING_OPEN ind_string_parts IND_STRING_CLOSE @indString
  | path_start PATH_END @pass1
  | path_start string_parts_interpolated PATH_END @pathInterpolated
  | SPATH @spath
  | URI @uri
  | '(' expr ')' @pass2
  | LET '{' binds '}' @letLegacy
  | REC '{' binds '}' @recAttrs
  | '{' binds1 '}' @attrs
  | '{' '}' @emptyAttrs
  | '[' list ']' @list
  ;
string_parts
  : STR @strPartsStr
  | string_parts_interpolated @strPartsInterpolated
  | %empty @strPartsEmpty
  ;
string_parts_interpolated
  : string_parts_interpolated STR @interpAppendStr
  | string_parts_interpolated DOLLAR_CURLY expr '}' @interpAppendExpr
  | DOLLAR_CURLY expr '}' @interpFirstExpr
  | STR DOLLAR_CURLY expr '}' @interpFirstStrExpr
  ;
path_start
  : PATH @path
  | HPATH @hpath
  ;
ind_string_parts
  : ind_string_parts IND_STR @indAppendStr
  | ind_string_parts DOLLAR_CURLY expr '}' @indAppendExpr
  | %empty @indEmpty
  ;
binds
  : binds1 @pass1
  | %empty @bindsEmpty
  ;
binds1
  : binds1 attrpath '=' expr ';' @bindAttr
  | binds INHERIT attrs ';' @bindInherit
  | binds INHERIT '(' expr ')' attrs ';' @bindInheritFrom
  | attrpath '=' expr ';' @bindFirstAttr
  ;
attrs
  : attrs attr @attrsAppendAttr
  | attrs string_attr @attrsAppendStringAttr
  | %empty @attrsEmpty
  ;
attrpath
  : attrpath '.' attr @attrpathAppendAttr
  | attrpath '.' string_attr @attrpathAppendStringAttr
  | attr @attrpathAttr
  | string_attr @attrpathStringAttr
  ;
attr
  : ID @pass1
  | OR_KW @orKwAttr
  ;
string_attr
  : '"' string_parts '"' @pass2
  | DOLLAR_CURLY expr '}' @stringAttrExpr
  ;
list
  : list expr_select @listAppend
  | %empty @listEmpty
  ;
formal_set
  : '{' formals ',' ELLIPSIS '}' @formalSetEllipsis
  | '{' ELLIPSIS '}' @formalSetOnlyEllipsis
  | '{' formals ',' '}' @formalSetTrailingComma
  | '{' formals '}' @formalSet
  | '{' '}' @formalSetEmpty
  ;
formals
  : formals ',' formal @formalsAppend
  | formal @formalsFirst
  ;
formal
  : ID @formal
  | ID '?' expr @formalDefault
  ;
`;

// bison numbers rules from 1 (yyr1/yyr2 have a dummy entry 0); rule 1 is $accept: start $end.
const actions = ["$unused", "$accept"];
const yGrammar = grammar.replace(/@(\w+)/g, (_, name) => {
  actions.push(name);
  return "{ }";
});

const dir = mkdtempSync(join(tmpdir(), "nix-grammar-"));
const yFile = join(dir, "nix.y");
const cFile = join(dir, "nix.tab.c");
writeFileSync(yFile, `%define parse.error verbose\n%expect 0\n${header}\n%%\n${yGrammar}\n%%\n`);
execFileSync("bison", ["-Wall", "-Wno-precedence", "-Werror", "-o", cFile, yFile], { stdio: "inherit" });
const c = readFileSync(cFile, "utf8");

function intArray(name) {
  const m = new RegExp(`\\b${name}\\[\\] =\\s*\\{([^}]*)\\}`).exec(c);
  if (!m) throw new Error(`table ${name} not found in bison output`);
  return m[1].split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => Number(s));
}
function define(name) {
  const m = new RegExp(`#define ${name}\\s+\\(?(-?\\d+)\\)?`).exec(c);
  if (!m) throw new Error(`define ${name} not found in bison output`);
  return Number(m[1]);
}
function tokenNames() {
  const m = /yytname\[\] =\s*\{([\s\S]*?)\};/.exec(c);
  if (!m) throw new Error("yytname not found");
  const names = [];
  // Entries are C string literals; decode the escapes bison uses (\" and \\).
  const re = /"((?:[^"\\]|\\.)*)"|YY_NULLPTR/g;
  let t;
  while ((t = re.exec(m[1])) !== null) {
    if (t[1] === undefined) break;
    names.push(JSON.parse(`"${t[1]}"`));
  }
  return names;
}
// bison's own yytnamerr turns `"\"identifier\""` into `identifier`; with
// parse.error=detailed (as Nix uses) names print the alias without its double quotes.
function displayName(raw) {
  if (raw === "$end") return "end of file";
  if (raw === "$undefined" || raw === "YYUNDEF") return "invalid token";
  if (raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  return raw;
}

const names = tokenNames();
const ntokens = define("YYNTOKENS");
const tables = {
  final: define("YYFINAL"),
  last: define("YYLAST"),
  ntokens,
  pactNinf: define("YYPACT_NINF"),
  tableNinf: define("YYTABLE_NINF"),
  translate: intArray("yytranslate"),
  pact: intArray("yypact"),
  defact: intArray("yydefact"),
  pgoto: intArray("yypgoto"),
  defgoto: intArray("yydefgoto"),
  table: intArray("yytable"),
  check: intArray("yycheck"),
  r1: intArray("yyr1"),
  r2: intArray("yyr2"),
};
// As byte strings (UTF-8 bytes, one char each), like all text the evaluator handles.
const symbolNames = names.map((n) => Buffer.from(displayName(n), "utf8").toString("latin1"));
// Symbol numbers of terminals by their grammar name (ID, '{', ...), for the lexer.
const tokenSymbols = {};
const rawNames = names.slice(0, ntokens);
const tokenDecls = [...header.matchAll(/%token (\w+) /g)].map((m) => m[1]);
for (const [i, raw] of rawNames.entries()) {
  if (raw.startsWith("'")) tokenSymbols[raw] = i;
}
for (const decl of tokenDecls) {
  const alias = [...header.matchAll(new RegExp(`%token ${decl} "((?:[^"\\\\]|\\\\.)*)"`, "g"))][0][1];
  const idx = rawNames.indexOf(`"${alias.replace(/\\\$/g, "$")}"`);
  if (idx < 0) throw new Error(`token ${decl} (${alias}) not found`);
  tokenSymbols[decl] = idx;
}
tokenSymbols.EOF = 0;
tokenSymbols.UNDEF = 2;

const out = `// GENERATED by scripts/gen-parser-tables.mjs from the Nix grammar with bison; do not edit.
// LALR(1) tables in bison's compressed form (yypact/yytable/yycheck/...).
/* eslint-disable */
export interface ParserTables {
  readonly final: number;
  readonly last: number;
  readonly ntokens: number;
  readonly pactNinf: number;
  readonly tableNinf: number;
  readonly translate: readonly number[];
  readonly pact: readonly number[];
  readonly defact: readonly number[];
  readonly pgoto: readonly number[];
  readonly defgoto: readonly number[];
  readonly table: readonly number[];
  readonly check: readonly number[];
  readonly r1: readonly number[];
  readonly r2: readonly number[];
}

export const parserTables: ParserTables = ${JSON.stringify(tables)};

/** Display names of grammar symbols, as Nix's bison parser prints them in syntax errors (UTF-8 byte strings). */
export const symbolNames: readonly string[] = ${JSON.stringify(symbolNames)};

/** Symbol numbers of terminals, by grammar name. */
export const T = ${JSON.stringify(tokenSymbols, null, 2)} as const;

/** Semantic action of each rule (index = rule number). */
export const ruleActions = ${JSON.stringify(actions)} as const;
`;
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "evaluator", "parserTables.ts");
writeFileSync(target, out);
console.log(`wrote ${target}: ${tables.pact.length} states, ${actions.length} rules`);
