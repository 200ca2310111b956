;; Imports a function that neither WASI nor the dosemu module provides.
(module
  (import "env" "no_such_function" (func $f))
  (memory (export "memory") 1)
  (func (export "_start") call $f))
