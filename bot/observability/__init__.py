"""What an operator watches: Prometheus metrics (`/metrics`) and OpenTelemetry traces.

The core reports what happens through one small hook, `Observer` (a message, an answer or a
"not sure", a hand-off, a ticket created, a sync error); the composition root wires the
Prometheus implementation in. Traces are off, and cost nothing, unless an OTLP endpoint is set.
"""
