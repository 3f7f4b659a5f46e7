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
  addListener(cb: (arg: Message) => void): () => void;
  /** Sends a message; rejects with a GatewayError. */
  send(message: Message | string | number[] | Uint8Array | ArrayBuffer): Promise<void>;
  /** Sends Close 1000, as the plugin does; listeners then get the upstream's Close. */
  disconnect(): Promise<void>;
}
"""##
    )
}
