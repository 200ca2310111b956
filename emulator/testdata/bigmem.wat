;; Asks for 64 MiB of initial memory (1024 pages).
(module
  (memory (export "memory") 1024)
  (func (export "_start")))
