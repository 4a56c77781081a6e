module ledgerhouse/loadgen

go 1.19
