#!/usr/bin/env node
// bin/nixoci.cjs, for those who run the CLI as `node bin/nixoci.js` (tests, scripts).
import "./nixoci.cjs";
