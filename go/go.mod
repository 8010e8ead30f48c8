module cspchan.dev/go/cspchan

go 1.19
