module cspchan.dev/go/examples

go 1.19

require cspchan.dev/go/cspchan v0.0.0

replace cspchan.dev/go/cspchan => ../../go
