/**
 * Types of the mini-program client. Answers are typed from `api.d.ts`, which openapi-typescript
 * generates from `openapi.json` (`npm run types`); a test fails when it is stale.
 */
import type { components, paths } from './api';

export type { components, paths };
export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];

/** The server's error, with its stable `code` and the Chinese `detail` to show. */
export declare class ApiError extends Error {
  constructor(status: number, body?: Partial<Problem> & { errors?: FieldError[] });
  readonly status: number;
  /** e.g. `shop.out_of_stock`; `network.unreachable` when no answer came; `request.aborted`. */
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldError[];
}

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type SuccessOf<O> = O extends { responses: infer R }
  ? JsonOf<R[Extract<keyof R, 200 | 201>]>
  : never;
/** What GET on a path (as written in the contract, e.g. `/api/v1/me`) answers. */
export type GetAnswer<P extends keyof paths> = paths[P] extends { get: infer O } ? SuccessOf<O> : never;
/** What POST on a path answers. */
export type PostAnswer<P extends keyof paths> = paths[P] extends { post: infer O } ? SuccessOf<O> : never;
/** The JSON body POST on a path takes. */
export type PostBody<P extends keyof paths> = paths[P] extends {
  post: { requestBody?: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

type PathsWithGet = { [P in keyof paths]: paths[P] extends { get: object } ? P : never }[keyof paths];
type PathsWithPost = { [P in keyof paths]: paths[P] extends { post: object } ? P : never }[keyof paths];

/** A place from wx.getLocation({ type: 'gcj02' }). */
export interface Place {
  lat: number;
  lng: number;
  accuracy?: number;
  coord_type?: 'gcj02' | 'wgs84';
}

export interface UploadOptions {
  /** Percent done, bytes sent and bytes in all, as wx.uploadFile's task reports them. */
  onProgress?: (percent: number, sent: number, total: number) => void;
}

export interface Upload extends Promise<Schemas['MediaPublic']> {
  /** Stops the upload; the promise rejects with `ApiError` code `request.aborted`. */
  abort(): void;
}

/** The parts of the mini-program's `wx` that the client uses. */
export interface WxLike {
  request(options: object): unknown;
  uploadFile(options: object): unknown;
  login(options: object): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
}

export interface ClientOptions {
  baseUrl: string;
  wx: WxLike;
  /** Attempts after the first, for network failures, 502–504, 429 and `idempotency.in_flight`. */
  retries?: number;
  /** The first pause between attempts, doubled each time (ms). */
  pauseMs?: number;
  /** Per request (ms). */
  timeout?: number;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

export interface Client {
  readonly ApiError: typeof ApiError;
  readonly tokens: TokenPair | null;
  get<P extends PathsWithGet>(path: P, query?: Record<string, unknown>): Promise<GetAnswer<P>>;
  get<T = unknown>(path: string, query?: Record<string, unknown>): Promise<T>;
  post<P extends PathsWithPost>(path: P, data: PostBody<P>): Promise<PostAnswer<P>>;
  post<T = unknown>(path: string, data?: unknown): Promise<T>;
  patch<T = unknown>(path: string, data: unknown): Promise<T>;
  del<T = unknown>(path: string): Promise<T>;
  request<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    options?: { query?: Record<string, unknown>; data?: unknown; auth?: boolean }
  ): Promise<T>;
  /** wx.login, then the server's login; keeps the token pair in storage. */
  login(): Promise<Schemas['TokenResponse']['user']>;
  /** The current privacy notice; public. */
  privacyNotice(): Promise<Schemas['PrivacyNotice']>;
  /** The user agreed to this version (what `wx.requirePrivacyAuthorize` reported). */
  acceptPrivacy(version: string): Promise<Schemas['ConsentPublic']>;
  /** The code from `<button open-type="getPhoneNumber">`; the current privacy notice must have
   * been accepted first (403 `privacy.consent_required`). */
  bindPhone(code: string): Promise<Schemas['MeProfile']>;
  logout(): Promise<void>;
  upload(filePath: string, purpose: Schemas['Purpose'], options?: UploadOptions): Upload;
  checkIn(eventId: number, token: string, place?: Place): Promise<Schemas['CheckinPublic']>;
  scanVolunteer(activityId: number, token: string, place?: Place): Promise<Schemas['RecordPublic']>;
  redeem(goodsId: number, quantity?: number): Promise<Schemas['RedemptionPublic']>;
}

export declare function createClient(options: ClientOptions): Client;
export declare const TOKENS_KEY: string;
export declare const MAX_RETRY_AFTER_MS: number;

/** A signed head of a town's points log (`GET /api/v1/points/roots/latest`). */
export type LedgerHead = Schemas['HeadPublic'];
/** `GET /api/v1/points/entries/{id}/proof`. */
export type InclusionProof = Schemas['InclusionProof'];
/** `GET /api/v1/points/roots/consistency`. */
export type ConsistencyProof = Schemas['ConsistencyProof'];

/** The entry is the proof's leaf, and the leaf is in the head signed with the town's key. */
export declare function verifyEntry(
  entry: InclusionProof['entry'],
  proof: InclusionProof,
  head: LedgerHead,
  publicKey: string
): boolean;
/** A later head only added to an earlier one (both signed with the town's key). */
export declare function verifyConsistency(
  fromHead: LedgerHead,
  toHead: LedgerHead,
  proof: ConsistencyProof | string[],
  publicKey: string
): boolean;
/** The head's Ed25519 signature holds over exactly its own fields. */
export declare function verifyHead(head: LedgerHead, publicKey: string): boolean;
