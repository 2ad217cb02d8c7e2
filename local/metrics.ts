import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../lambdas/shared/contracts/metrics';

/**
 * CloudWatch's part in local mode: in Lambda, CloudWatch Logs turns the embedded-metric-format (EMF) lines a function
 * writes to stdout into metrics. Here the handlers run in this process, so their EMF lines are taken off stdout
 * (not printed) and kept, with each function's errors as Lambda would count them, and `GET /local/metrics` sums them
 * up the way the dashboard does (lib/monitoring.ts).
 *
 * Stdout is one per process: with two local modes in one process (tests), each sees both's metrics.
 */

interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
  [key: string]: unknown;
}

export interface MetricPoint {
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  value: number;
  timestamp: number;
}

const listeners = new Set<(doc: EmfDocument) => void>();
let restoreStdout: (() => void) | undefined;

/** An EMF document, if this line is one (Powertools writes each as one line). */
function emfDocument(line: string): EmfDocument | undefined {
  if (!line.startsWith('{"_aws":')) return undefined;
  try {
    const doc = JSON.parse(line) as EmfDocument;
    return Array.isArray(doc._aws?.CloudWatchMetrics) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Takes EMF lines off stdout while anyone listens; every other line is written as usual. */
function listen(listener: (doc: EmfDocument) => void): () => void {
  listeners.add(listener);
  if (!restoreStdout) {
    const stdout = process.stdout;
    const ownWrite = Object.hasOwn(stdout, 'write');
    const previous = stdout.write;
    const write = previous.bind(stdout);
    stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.includes('{"_aws":')) return write(chunk, ...(rest as []));
      const passed: string[] = [];
      for (const line of text.split(/(?<=\n)/)) {
        const doc = emfDocument(line.trimEnd());
        if (!doc) {
          passed.push(line);
          continue;
        }
        for (const l of listeners) {
          try {
            l(doc);
          } catch {
            // One listener's trouble is not the handler's.
          }
        }
      }
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (passed.length) return write(passed.join(''), ...(rest as []));
      if (callback) process.nextTick(callback);
      return true;
    }) as typeof process.stdout.write;
    restoreStdout = () => {
      if (ownWrite) stdout.write = previous;
      else delete (stdout as { write?: unknown }).write;
    };
  }
  return () => {
    listeners.delete(listener);
    if (!listeners.size) {
      restoreStdout?.();
      restoreStdout = undefined;
    }
  };
}

/** The points of one EMF document: each metric of each directive, with that directive's dimensions. */
export function pointsOf(doc: EmfDocument): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const directive of doc._aws.CloudWatchMetrics) {
    const dimensions = Object.fromEntries((directive.Dimensions[0] ?? []).map((d) => [d, String(doc[d])]));
    for (const metric of directive.Metrics) {
      const raw = doc[metric.Name];
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (typeof value === 'number')
          points.push({ name: metric.Name, unit: metric.Unit ?? 'None', dimensions, value, timestamp: doc._aws.Timestamp });
      }
    }
  }
  return points;
}

export interface Distribution {
  count: number;
  sum: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  last: number;
}

/** Nearest-rank percentiles, as CloudWatch computes them from raw values. */
function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    p50: rank(50),
    p90: rank(90),
    last: values[values.length - 1]!,
  };
}

export class LocalMetrics {
  private readonly points: MetricPoint[] = [];
  /** Invocations that threw, by function: Lambda's Errors metric. */
  private readonly errors = new Map<string, number>();
  private readonly stop: () => void;
  private readonly since = new Date();

  /** `functionNames`: the functions whose errors are listed (none yet is 0). */
  constructor(private readonly functionNames: string[]) {
    this.stop = listen((doc) => {
      if (doc._aws.CloudWatchMetrics.some((d) => d.Namespace === METRICS_NAMESPACE)) this.points.push(...pointsOf(doc));
    });
  }

  /** Counts a handler invocation that threw, as Lambda counts Errors. */
  functionError(functionName: string) {
    this.errors.set(functionName, (this.errors.get(functionName) ?? 0) + 1);
  }

  close() {
    this.stop();
  }

  private values(name: string, filter: Record<string, string> = {}) {
    return this.points.filter((p) => p.name === name && Object.entries(filter).every(([k, v]) => p.dimensions[k] === v)).map((p) => p.value);
  }

  /** The dashboard's figures, and every series (metric and dimensions) with its distribution. */
  summary() {
    const sum = (name: string, filter?: Record<string, string>) => this.values(name, filter).reduce((a, b) => a + b, 0);
    const percentiles = (name: string) => {
      const values = this.values(name);
      if (!values.length) return { count: 0 };
      const { count, p50, p90 } = distribution(values);
      return { count, p50, p90 };
    };
    const gauge = (name: string) => this.values(name).at(-1) ?? null;
    const byDimension = (name: string, dimension: string) => {
      const totals: Record<string, number> = {};
      for (const p of this.points.filter((q) => q.name === name)) {
        const key = p.dimensions[dimension] ?? '';
        totals[key] = (totals[key] ?? 0) + p.value;
      }
      return totals;
    };
    const expected = byDimension(METRIC.ExpectedErrors, DIMENSION.function);
    const functions = new Set([...this.functionNames, ...this.errors.keys()]);
    const series = new Map<string, MetricPoint[]>();
    for (const p of this.points) {
      const key = JSON.stringify([p.name, p.dimensions]);
      series.set(key, [...(series.get(key) ?? []), p]);
    }
    return {
      namespace: METRICS_NAMESPACE,
      since: this.since.toISOString(),
      dashboard: {
        runsStarted: sum(METRIC.RunsStarted),
        runsByOutcome: byDimension(METRIC.RunEnded, DIMENSION.outcome),
        runsInFlight: gauge(METRIC.RunsInFlight),
        approvalsWaiting: gauge(METRIC.ApprovalsWaiting),
        approvalsOverdue: gauge(METRIC.ApprovalsOverdue),
        approvalWaitSeconds: percentiles(METRIC.ApprovalWaitSeconds),
        executionSeconds: percentiles(METRIC.ExecutionSeconds),
        detectionDelaySeconds: percentiles(METRIC.DetectionDelaySeconds),
        unexpectedErrorsByFunction: Object.fromEntries(
          [...functions].sort().map((fn) => [fn, Math.max(0, (this.errors.get(fn) ?? 0) - (expected[fn] ?? 0))]),
        ),
        slackPostFailed: sum(METRIC.SlackPostFailed),
        duplicateRuns: sum(METRIC.DuplicateRuns),
      },
      metrics: [...series.values()].map((points) => ({
        name: points[0]!.name,
        unit: points[0]!.unit,
        dimensions: points[0]!.dimensions,
        ...distribution(points.map((p) => p.value)),
      })),
    };
  }
}
