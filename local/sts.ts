import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Spokes } from '../lambdas/shared/contracts/spokes';
import { accountOf, type LocalIdentity } from './identities';
import { deployedSpokeRole } from './spokes';
import { LOCAL_ACCOUNT } from './template';

/**
 * STS AssumeRole over the Query protocol, as @aws-sdk/client-sts speaks it, for the spoke roles (issue 21). The only
 * roles that exist are `plangate-spoke-<region>` in the accounts and Regions SPOKES lists; their trust policy admits
 * the hub's principals with a `plangate-*` source identity. The temporary access key is `ASIA` + the account + a
 * serial, so every call signed with it is known to be that account's, and the session says which role and run it is.
 */

/** An assumed role's temporary credentials, as local mode issued them. */
export interface StsSession extends LocalIdentity {
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  sourceIdentity?: string;
}

/** An XML answer of the Query protocol. */
export interface QueryAnswer {
  status: number;
  contentType: 'text/xml';
  body: string;
}

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** A role's MaxSessionDuration when its template does not set one: one hour. */
const MAX_SESSION_SECONDS = 3600;
/** The trust policy the spoke stack gives its role: the run's name, as the functions set it. */
const TRUSTED_SOURCE_IDENTITY = /^plangate-/;
const SESSION_TEXT = /^[\w+=,.@-]*$/;

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export class StsSessions {
  private readonly sessions = new Map<string, StsSession>();
  private serial = 0;

  /** The live session an access key belongs to. */
  find(accessKeyId: string, now = new Date()): StsSession | undefined {
    const session = this.sessions.get(accessKeyId);
    return session && session.expiration > now ? session : undefined;
  }

  /** Whether local mode issued this key and its session has expired. */
  expired(accessKeyId: string, now = new Date()): boolean {
    const session = this.sessions.get(accessKeyId);
    return session !== undefined && session.expiration <= now;
  }

  issue(account: string, roleArn: string, sessionName: string, durationSeconds: number, sourceIdentity?: string): StsSession {
    const accessKeyId = `ASIA${account}${(++this.serial).toString(36).toUpperCase().padStart(4, '0')}`;
    const roleName = roleArn.split('/').pop()!;
    const roleId = `AROA${createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
    const session: StsSession = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
      expiration: new Date(Math.floor(Date.now() / 1000 + durationSeconds) * 1000),
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId}:${sessionName}`,
      mayInvoke: [],
      roleArn,
      sourceIdentity,
    };
    this.sessions.set(accessKeyId, session);
    return session;
  }
}

/** Why STS refuses a request: its error code, HTTP status and message. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** STS's wording for a parameter outside its constraint. */
const invalidValue = (value: string | null, member: string, constraint: string) =>
  new StsError(
    'ValidationError',
    `1 validation error detected: Value ${value === null ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

/** RoleSessionName and SourceIdentity: 2-64 characters of `[\w+=,.@-]`. */
function checkSessionText(value: string | null, member: string, required: boolean): string | undefined {
  if (value === null) {
    if (required) throw invalidValue(null, member, 'Member must not be null');
    return undefined;
  }
  if (value.length < 2) throw invalidValue(value, member, 'Member must have length greater than or equal to 2');
  if (value.length > 64) throw invalidValue(value, member, 'Member must have length less than or equal to 64');
  if (!SESSION_TEXT.test(value)) throw invalidValue(value, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  return value;
}

export interface AssumedRole {
  session: StsSession;
  location: { account: string; region: string };
}

/**
 * AssumeRole's checks, in STS's order: the parameters, then whether the role exists and trusts the caller. Returns
 * the session; throws StsError.
 */
export function assumeRole(form: URLSearchParams, caller: LocalIdentity, spokes: Spokes | undefined, sessions: StsSessions): AssumedRole {
  const roleArn = form.get('RoleArn');
  if (roleArn === null) throw invalidValue(null, 'roleArn', 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048 || !/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/.test(roleArn)) {
    throw new StsError('ValidationError', `${roleArn} is invalid`);
  }
  const sessionName = checkSessionText(form.get('RoleSessionName'), 'roleSessionName', true)!;
  const sourceIdentity = checkSessionText(form.get('SourceIdentity'), 'sourceIdentity', false);
  if (sourceIdentity?.toLowerCase().startsWith('aws:')) {
    throw new StsError('ValidationError', 'SourceIdentity cannot begin with the reserved prefix aws:');
  }
  const duration = form.get('DurationSeconds');
  const durationSeconds = duration === null ? MAX_SESSION_SECONDS : Number(duration);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900) {
    throw invalidValue(duration, 'durationSeconds', 'Member must have value greater than or equal to 900');
  }
  if (durationSeconds > MAX_SESSION_SECONDS) {
    throw new StsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  const location = deployedSpokeRole(spokes, roleArn);
  // A role that does not exist and one whose trust policy refuses the caller get the same answer from STS.
  const trusted = accountOf(caller) === LOCAL_ACCOUNT && sourceIdentity !== undefined && TRUSTED_SOURCE_IDENTITY.test(sourceIdentity);
  if (!location || !trusted) {
    throw new StsError('AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  }
  return { session: sessions.issue(location.account, roleArn, sessionName, durationSeconds, sourceIdentity), location };
}

/** AssumeRole's answer, as STS writes it. */
export function assumeRoleAnswer({ session }: AssumedRole): QueryAnswer {
  const source = session.sourceIdentity === undefined ? '' : `<SourceIdentity>${xmlEscape(session.sourceIdentity)}</SourceIdentity>`;
  return {
    status: 200,
    contentType: 'text/xml',
    body:
      `<AssumeRoleResponse xmlns="${NAMESPACE}"><AssumeRoleResult>${source}` +
      `<AssumedRoleUser><Arn>${xmlEscape(session.arn)}</Arn><AssumedRoleId>${xmlEscape(session.userId)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xmlEscape(session.sessionToken)}</SessionToken><Expiration>${session.expiration.toISOString()}</Expiration></Credentials>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  };
}

/** STS's error answer. */
export function stsErrorAnswer(error: StsError): QueryAnswer {
  return {
    status: error.status,
    contentType: 'text/xml',
    body: `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}
