module github.com/assumed-dev/assumed

go 1.26.8
