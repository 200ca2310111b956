;; Does nothing and exits 0: the cheapest process.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
