import { LOCAL_SLACK_CONTEXT, type LocalModeOptions, startLocalMode as startUnbuilt } from '../../local/server';
import { handlerBundles, synthesizedTemplate } from './prebuilt';

export type { LocalMode } from '../../local/server';

/**
 * A limit for a `beforeAll` that starts local mode from this run's build. The first start in a file loads the modules
 * and the bundles: 17 s on 2 cores with a load average of 17 (2 to 3 s for the next); the margin is for a busier one.
 */
export const LOCAL_MODE_START_MS = 60_000;

/** Local mode as `npm run local` starts it, from the template and bundles built once for the whole jest run. */
export async function startLocalMode(options: LocalModeOptions = {}) {
  const template = await synthesizedTemplate({ ...LOCAL_SLACK_CONTEXT, ...options.context });
  return startUnbuilt({ ...options, prebuilt: { template, handlers: handlerBundles() } });
}

/** Takes the handlers' JSON log lines off stdout and stderr into `logs` (tests assert on them); returns what undoes it. */
export function collectHandlerLogs(logs: string[]): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      if (!text.startsWith('{"level"')) return write(chunk, ...(rest as []));
      logs.push(text);
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
}
