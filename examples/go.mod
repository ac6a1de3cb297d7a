module github.com/otelkit/otelkit/examples

go 1.26

replace github.com/otelkit/otelkit => ../
