node_modules/
out/
