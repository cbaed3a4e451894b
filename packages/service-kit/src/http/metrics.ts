import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Prometheus metrics: request count and latency by route and status. */
export function registerMetrics(app: FastifyInstance, service: string, registry = new Registry()): Registry {
  if (!registry.getSingleMetric('process_cpu_user_seconds_total'))
    collectDefaultMetrics({ register: registry });
  const labelNames = ['service', 'method', 'route', 'status'] as const;
  const count =
    (registry.getSingleMetric('kumo_http_requests_total') as
      | Counter<(typeof labelNames)[number]>
      | undefined) ??
    new Counter({
      name: 'kumo_http_requests_total',
      help: 'HTTP requests',
      labelNames,
      registers: [registry],
    });
  const latency =
    (registry.getSingleMetric('kumo_http_request_duration_seconds') as
      | Histogram<(typeof labelNames)[number]>
      | undefined) ??
    new Histogram({
      name: 'kumo_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    const labels = { service, method: req.method, route, status: String(reply.statusCode) };
    count.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { config: { auth: false } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
