extension WebAsset {
    /// `GET /client.d.ts`: the TypeScript types of `client.js`, the plugin's own and the gateway's extras.
    static let clientTypes = WebAsset(
        contentType: "application/typescript; charset=utf-8",
        text: ##"""
// Types of wsgate's client.js: those of @tauri-apps/plugin-websocket, and the gateway's extras.

/** The connection's settings, as the plugin takes them; the gateway's own keys are optional too. */
export interface ConnectionConfig {
  writeBufferSize?: number;
  maxWriteBufferSize?: number | "none";
  maxMessageSize?: number | "none";
  maxFrameSize?: number | "none";
  acceptUnmaskedFrames?: boolean;
  headers?: HeadersInit;
  /** Subprotocols offered; the server must choose one of them. */
  protocols?: string[];
  readBufferSize?: number;
  /** Bound on TCP connect, TLS and the handshake together. */
  connectTimeoutMs?: number;
  /** Milliseconds without a frame from the upstream before the gateway sends it a Ping (not an event); 0 sends none. */
  pingIntervalMs?: number;
  /** Milliseconds a frame may take to follow that Ping before the connection ends with an error. */
  pingTimeoutMs?: number;
  /** What the gateway does when no listener takes events: stop reading, or drop the oldest. */
  historyOverflow?: "pause" | "dropOldest";
  /** Offer permessage-deflate. */
  compression?: boolean;
  /** An HTTP CONNECT proxy, http://[user:password@]host[:port]; "none" connects directly; unset takes the server's or the environment's. */
  proxy?: string | null;
  /** How a wss upstream is verified and whom the gateway presents. */
  tls?: TLSOptions | null;
  /** Dial a lost upstream again; listeners then get "Lost" and "Reconnected". */
  reconnect?: ReconnectOptions | null;
}

/** TLS for wss upstreams: extra or other CAs, another name, a client certificate. */
export interface TLSOptions {
  caFile?: string;
  caPem?: string;
  /** Trust the system's roots too (default true). */
  systemRoots?: boolean;
  serverName?: string;
  clientCertificateFile?: string;
  clientCertificatePem?: string;
  clientKeyFile?: string;
  clientKeyPem?: string;
  /** Accept any certificate: for tests only; a server may refuse it. */
  insecureSkipVerify?: boolean;
}

/** Exponential backoff with full jitter, from initialDelayMs up to maxDelayMs. */
export interface ReconnectOptions {
  /** Attempts after each loss before giving up (default 10); 0 never gives up. */
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface MessageKind<T, D> {
  type: T;
  data: D;
}

export interface CloseFrame {
  code: number;
  reason: string;
}

export type Message =
  | MessageKind<"Text", string>
  | MessageKind<"Binary", number[]>
  | MessageKind<"Ping", number[]>
  | MessageKind<"Pong", number[]>
  | MessageKind<"Close", CloseFrame | null>;

/** The gateway's news of a lost upstream and its return, with `reconnect` set. */
export type ReconnectNotice =
  | MessageKind<"Lost", { reason: string; close: CloseFrame | null; attempt: number; delayMs: number }>
  | MessageKind<"Reconnected", { attempts: number }>;

/** Where the gateway is (default: where client.js was loaded from) and its bearer token. */
export interface GatewaySettings {
  gateway?: string | URL;
  token?: string | null;
}

/** Sets the gateway's URL and token for every connection made after. */
export function configure(settings: GatewaySettings): void;

/** A refusal by the gateway: its HTTP status (0 when unreachable) and the API's error code. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
}

/** An upstream WebSocket held by the gateway, with the plugin's API. */
export default class WebSocket {
  /** The gateway's id of the connection. */
  readonly id: string;
  /** Opens `url` through the gateway; rejects with a GatewayError. */
  static connect(url: string, config?: ConnectionConfig): Promise<WebSocket>;
  /** Calls `cb` with every message from the first (and, as the plugin does, error strings); returns what removes it. */
  addListener(cb: (arg: Message | ReconnectNotice | string) => void): () => void;
  /** Sends a message; rejects with a GatewayError. */
  send(message: Message | string | number[] | Uint8Array | ArrayBuffer): Promise<void>;
  /** Sends Close 1000, as the plugin does; listeners then get the upstream's Close. */
  disconnect(): Promise<void>;
}
"""##
    )
}
