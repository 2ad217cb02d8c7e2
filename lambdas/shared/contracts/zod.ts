/**
 * zod for the functions: zod/mini, a fraction of zod's size in every bundle, with the English messages that
 * mini leaves out, so a bad input is answered with what was expected and what was received.
 */

import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
