import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { WATCH_RUNS_ENV, watchRuns } from './watch-runs';

const env = parseEnvironment(WATCH_RUNS_ENV, process.env);

// Nothing retries a count (the next comes in 5 minutes), so a throttled one is an error the alarm must see.
export const handler = lambdaHandler((event: unknown) => watchRuns(event, env), { retried: false });
