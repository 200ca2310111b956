;; Asks for 4 MiB of initial memory (64 pages): more than the 1 MiB
;; computers of testdata/small-cluster.yaml allow.
(module
  (memory (export "memory") 64)
  (func (export "_start")))
