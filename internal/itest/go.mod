module github.com/otelkit/otelkit/internal/itest

go 1.26

replace github.com/otelkit/otelkit => ../../
