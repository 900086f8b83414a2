"found in search path"
