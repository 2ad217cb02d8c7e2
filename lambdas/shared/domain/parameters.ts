import type { PlanParameter } from '../contracts/steps';
import { clip } from './text';

/*
 * A plan's provisioning parameters as approvers see them. Service Catalog's plan API says, per parameter, whether the
 * plan gives it a value or keeps the product's current one (UsePreviousValue): a parameter given a value is "set by this
 * plan" (it may equal the current value; the plan API does not show the current one), listed first.
 */

/** The plan API does not say which parameters are NoEcho: values whose names look secret are never kept or shown. */
export const SECRET_PARAMETER = /pass(word|phrase)|secret|token|credential|private.?key|api.?key/i;

/** At most this many parameters are kept (the run's state has a budget), each value clipped. */
export const MAX_PARAMETERS = 40;
const MAX_VALUE = 300;

/** DescribeProvisionedProductPlan's ProvisioningParameters as kept on the reviewed plan: set ones first, secrets masked. */
export function planParameters(raw: { Key?: string; Value?: string; UsePreviousValue?: boolean }[] | undefined): {
  parameters?: PlanParameter[];
  parametersUnlisted?: number;
} {
  if (!raw?.length) return {};
  const parameters = raw
    .filter((p) => p.Key)
    .map((p): PlanParameter => {
      const key = clip(p.Key!, 200);
      if (p.UsePreviousValue) return { key, kept: true };
      if (SECRET_PARAMETER.test(key)) return { key, masked: true };
      return { key, value: clip(p.Value ?? '', MAX_VALUE) };
    })
    .sort((a, b) => Number(a.kept ?? false) - Number(b.kept ?? false));
  const unlisted = parameters.length - MAX_PARAMETERS;
  return { parameters: parameters.slice(0, MAX_PARAMETERS), ...(unlisted > 0 ? { parametersUnlisted: unlisted } : {}) };
}
