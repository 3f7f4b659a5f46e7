extension WebAsset {
    /// `GET /openapi.json`: the API described in OpenAPI 3.1: every endpoint, body form, event
    /// shape and error code.
    static let openAPIDocument = WebAsset(
        contentType: "application/json",
        text: ##"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "wsgate",
    "version": "0.1.0",
    "description": "WebSockets for plain HTTP clients: open an upstream WebSocket with POST /connections, send with POST /connections/{id}/send, receive every upstream message as Server-Sent Events from GET /connections/{id}/events, close with DELETE /connections/{id}. The API of the Tauri v2 WebSocket plugin with tungstenite's semantics. When the gateway has a token, every operation but the health checks and the public files needs it."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8787"
    }
  ],
  "security": [
    {
      "bearer": []
    },
    {
      "accessToken": []
    },
    {}
  ],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "health",
        "summary": "The process answers.",
        "security": [
          {}
        ],
        "responses": {
          "200": {
            "description": "Running.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "readiness",
        "summary": "Listening and taking connections.",
        "security": [
          {}
        ],
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "503": {
            "description": "Shutting down (not_ready).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/connections": {
      "get": {
        "operationId": "listConnections",
        "summary": "The open connections.",
        "responses": {
          "200": {
            "description": "The open connections, oldest first.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "connections"
                  ],
                  "properties": {
                    "connections": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ConnectionInfo"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      },
      "post": {
        "operationId": "openConnection",
        "summary": "The plugin's connect(url, config): opens an upstream WebSocket.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ConnectRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Open; its events are kept from the first.",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                },
                "description": "/connections/{id}"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Connected"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "417": {
            "$ref": "#/components/responses/ExpectationFailed"
          },
          "502": {
            "description": "The upstream could not be reached or refused the handshake: upstream_connect_failed, upstream_tls_failed (saying why verification failed), upstream_handshake_failed (with the upstream's status); or the proxy failed: proxy_refused (with the proxy's status), proxy_failed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "host_forbidden or origin_forbidden (see Forbidden), upstream_forbidden: the egress policy does not allow the URL or its proxy, or insecure_tls_forbidden: the server does not allow tls.insecureSkipVerify.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "description": "too_many_connections: this client address holds limits.maxConnectionsPerClient connections, with Retry-After.",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "capacity_exhausted or shutting_down.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "504": {
            "description": "upstream_timeout, or proxy_timeout: the proxy opened no tunnel in time.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/connections/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "description": "The connection id (22 characters, URL-safe base64).",
          "schema": {
            "type": "string"
          }
        }
      ],
      "get": {
        "operationId": "connectionInfo",
        "summary": "One connection's state and counters.",
        "responses": {
          "200": {
            "description": "The connection.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ConnectionInfo"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      },
      "delete": {
        "operationId": "closeConnection",
        "summary": "The plugin's disconnect(): sends Close, waits for the upstream's, forgets the id.",
        "parameters": [
          {
            "name": "code",
            "in": "query",
            "schema": {
              "type": "integer",
              "enum": [
                1000,
                1001
              ]
            },
            "description": "Default 1000; also 1001-1003, 1007-1011 and 3000-4999, the codes a client may send."
          },
          {
            "name": "reason",
            "in": "query",
            "schema": {
              "type": "string",
              "maxLength": 30
            },
            "description": "At most 123 bytes of UTF-8; default 'Disconnected by client'."
          }
        ],
        "responses": {
          "200": {
            "description": "Closed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CloseResult"
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/connections/{id}/send": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "description": "The connection id (22 characters, URL-safe base64).",
          "schema": {
            "type": "string"
          }
        }
      ],
      "post": {
        "operationId": "send",
        "summary": "The plugin's send(message).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OutgoingMessage"
              }
            },
            "text/plain": {
              "schema": {
                "type": "string",
                "description": "One Text message."
              }
            },
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "format": "binary",
                "description": "One Binary message."
              }
            },
            "application/x-ndjson": {
              "schema": {
                "type": "string",
                "description": "One JSON message (any form of application/json) per line, sent in order."
              }
            }
          }
        },
        "responses": {
          "204": {
            "description": "Written to the socket."
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "description": "connection_closed: a Close was sent or received; reconnecting (with Retry-After): the upstream was lost and is being dialled again.",
            "headers": {
              "Retry-After": {
                "schema": {
                  "type": "integer"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "417": {
            "$ref": "#/components/responses/ExpectationFailed"
          },
          "503": {
            "description": "write_buffer_full, with Retry-After.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/connections/{id}/events": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "description": "The connection id (22 characters, URL-safe base64).",
          "schema": {
            "type": "string"
          }
        }
      ],
      "get": {
        "operationId": "events",
        "summary": "The plugin's addListener(cb): every upstream event as Server-Sent Events.",
        "parameters": [
          {
            "name": "Last-Event-ID",
            "in": "header",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{1,15}$"
            },
            "description": "Resume after this event id."
          },
          {
            "name": "lastEventId",
            "in": "query",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{1,15}$"
            },
            "description": "Resume after this event id."
          },
          {
            "name": "from",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "now"
              ]
            },
            "description": "Skip the history."
          },
          {
            "name": "binary",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "array",
                "base64"
              ]
            },
            "description": "How Binary, Ping and Pong data is encoded."
          }
        ],
        "responses": {
          "429": {
            "$ref": "#/components/responses/TooManySubscribers"
          },
          "503": {
            "$ref": "#/components/responses/TooManyStreams"
          },
          "200": {
            "description": "A stream of records `id: n` / `data: <Event>`; a gap first when events were lost (`event: gap`, data GapEvent); `: keepalive` comments. It ends with the connection.",
            "content": {
              "text/event-stream": {
                "schema": {
                  "$ref": "#/components/schemas/ServerSentEvent"
                }
              }
            }
          },
          "204": {
            "description": "The connection has ended and the cursor is at its final event."
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/events": {
      "get": {
        "operationId": "multiplexedEvents",
        "summary": "The events of several connections in one stream.",
        "parameters": [
          {
            "name": "connections",
            "in": "query",
            "required": true,
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$"
            },
            "description": "Connection ids, separated by commas (at most 512, none twice)."
          },
          {
            "name": "Last-Event-ID",
            "in": "header",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{1,15}(,[0-9]{1,15})*$"
            },
            "description": "The stream's cursor: each connection's last event id, in the order of connections, separated by commas; no more entries than connections."
          },
          {
            "name": "lastEventId",
            "in": "query",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{1,15}(,[0-9]{1,15})*$"
            },
            "description": "The cursor, as Last-Event-ID."
          },
          {
            "name": "binary",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "array",
                "base64"
              ]
            }
          }
        ],
        "responses": {
          "429": {
            "$ref": "#/components/responses/TooManySubscribers"
          },
          "503": {
            "$ref": "#/components/responses/TooManyStreams"
          },
          "200": {
            "description": "Records `id: <cursor>` / `data: <MultiplexedEvent>`; `event: gap` and `event: gone` (an unknown connection) keep their names. It ends when every connection's stream has.",
            "content": {
              "text/event-stream": {
                "schema": {
                  "$ref": "#/components/schemas/ServerSentEvent"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Metrics in Prometheus' text format.",
        "responses": {
          "200": {
            "description": "The exposition.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openAPIDocument",
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "OpenAPI 3.1.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          },
          "304": {
            "description": "Not modified (If-None-Match)."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/": {
      "get": {
        "operationId": "console",
        "summary": "A console page for trying the gateway.",
        "security": [
          {}
        ],
        "responses": {
          "200": {
            "description": "HTML.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "304": {
            "description": "Not modified (If-None-Match)."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/client.js": {
      "get": {
        "operationId": "clientModule",
        "summary": "The Tauri plugin's JavaScript API over the gateway, as an ES module.",
        "security": [
          {}
        ],
        "responses": {
          "200": {
            "description": "JavaScript.",
            "content": {
              "text/javascript": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "304": {
            "description": "Not modified (If-None-Match)."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    },
    "/client.d.ts": {
      "get": {
        "operationId": "clientTypes",
        "summary": "The TypeScript types of client.js.",
        "security": [
          {}
        ],
        "responses": {
          "200": {
            "description": "TypeScript.",
            "content": {
              "application/typescript": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "304": {
            "description": "Not modified (If-None-Match)."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "414": {
            "$ref": "#/components/responses/TargetTooLong"
          },
          "431": {
            "$ref": "#/components/responses/HeadersTooLarge"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer"
      },
      "accessToken": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token"
      }
    },
    "responses": {
      "BadRequest": {
        "description": "invalid_request, invalid_message, invalid_http or missing_host.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "unauthorized: the token is missing or wrong.",
        "headers": {
          "WWW-Authenticate": {
            "schema": {
              "type": "string"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Forbidden": {
        "description": "host_forbidden or origin_forbidden.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotFound": {
        "description": "not_found: no such connection (or path).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooManySubscribers": {
        "description": "too_many_subscribers: the connection has limits.maxSubscribersPerConnection subscribers, with Retry-After.",
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooManyStreams": {
        "description": "too_many_streams: the gateway serves limits.maxEventStreams event streams, with Retry-After.",
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooLarge": {
        "description": "too_large: the body is over limits.maxRequestBodySize.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TargetTooLong": {
        "description": "target_too_long.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "HeadersTooLarge": {
        "description": "headers_too_large.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "unsupported_media_type.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "ExpectationFailed": {
        "description": "expectation_failed: an Expect other than 100-continue.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "type": "string",
                "enum": [
                  "invalid_request",
                  "invalid_message",
                  "invalid_http",
                  "missing_host",
                  "unauthorized",
                  "host_forbidden",
                  "origin_forbidden",
                  "not_found",
                  "method_not_allowed",
                  "request_timeout",
                  "connection_closed",
                  "too_large",
                  "target_too_long",
                  "unsupported_media_type",
                  "expectation_failed",
                  "headers_too_large",
                  "internal_error",
                  "upstream_connect_failed",
                  "upstream_tls_failed",
                  "upstream_handshake_failed",
                  "capacity_exhausted",
                  "shutting_down",
                  "not_ready",
                  "write_buffer_full",
                  "upstream_timeout",
                  "upstream_forbidden",
                  "insecure_tls_forbidden",
                  "proxy_refused",
                  "proxy_failed",
                  "proxy_timeout",
                  "too_many_connections",
                  "too_many_subscribers",
                  "too_many_streams",
                  "reconnecting"
                ]
              },
              "message": {
                "type": "string"
              }
            }
          }
        }
      },
      "Status": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string"
          }
        }
      },
      "ConnectRequest": {
        "type": "object",
        "required": [
          "url"
        ],
        "additionalProperties": false,
        "properties": {
          "url": {
            "type": "string",
            "pattern": "^[wW][sS][sS]?://[A-Za-z0-9.-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/[^#\\s]*)?$",
            "description": "A ws:// or wss:// URL, without fragment."
          },
          "config": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/ConnectionConfig"
              },
              {
                "type": "null"
              }
            ]
          }
        }
      },
      "Limit": {
        "oneOf": [
          {
            "type": "integer",
            "minimum": 1,
            "maximum": 536870912
          },
          {
            "type": "string",
            "enum": [
              "none"
            ]
          },
          {
            "type": "null"
          }
        ]
      },
      "ConnectionConfig": {
        "type": "object",
        "additionalProperties": false,
        "description": "The plugin's ConnectionConfig and the gateway's own keys; each starts from the server's defaults.",
        "properties": {
          "headers": {
            "description": "Extra handshake headers, as an object or as the [name, value] pairs the plugin's new Headers(\u2026) gives; Upgrade, Connection and Sec-WebSocket-Key, -Version and -Extensions are the gateway's.",
            "oneOf": [
              {
                "type": [
                  "object",
                  "null"
                ],
                "propertyNames": {
                  "type": "string",
                  "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
                  "not": {
                    "pattern": "^([uU][pP][gG][rR][aA][dD][eE]|[cC][oO][nN][nN][eE][cC][tT][iI][oO][nN]|[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-[kK][eE][yY]|[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-[vV][eE][rR][sS][iI][oO][nN]|[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-[eE][xX][tT][eE][nN][sS][iI][oO][nN][sS])$"
                  }
                },
                "additionalProperties": {
                  "type": "string",
                  "pattern": "^[\t -~\u0080-\uffff]*$"
                }
              },
              {
                "type": "array",
                "items": {
                  "type": "array",
                  "prefixItems": [
                    {
                      "type": "string",
                      "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
                      "not": {
                        "pattern": "^([uU][pP][gG][rR][aA][dD][eE]|[cC][oO][nN][nN][eE][cC][tT][iI][oO][nN]|[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-[kK][eE][yY]|[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-[vV][eE][rR][sS][iI][oO][nN]|[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-[eE][xX][tT][eE][nN][sS][iI][oO][nN][sS])$"
                      }
                    },
                    {
                      "type": "string",
                      "pattern": "^[\t -~\u0080-\uffff]*$"
                    }
                  ],
                  "minItems": 2,
                  "maxItems": 2
                }
              }
            ]
          },
          "protocols": {
            "type": [
              "array",
              "null"
            ],
            "items": {
              "type": "string",
              "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
            },
            "uniqueItems": true
          },
          "readBufferSize": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1
          },
          "writeBufferSize": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "description": "Must be less than maxWriteBufferSize when that is a number."
          },
          "maxWriteBufferSize": {
            "oneOf": [
              {
                "type": "integer",
                "minimum": 1
              },
              {
                "type": "string",
                "enum": [
                  "none"
                ]
              },
              {
                "type": "null"
              }
            ],
            "description": "Must be greater than writeBufferSize."
          },
          "maxMessageSize": {
            "$ref": "#/components/schemas/Limit"
          },
          "maxFrameSize": {
            "$ref": "#/components/schemas/Limit"
          },
          "acceptUnmaskedFrames": {
            "type": [
              "boolean",
              "null"
            ]
          },
          "connectTimeoutMs": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "maximum": 3600000
          },
          "pingIntervalMs": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 0,
            "maximum": 3600000,
            "description": "After this long without a frame from the upstream, the gateway sends it a Ping (not shown as an event); 0 sends none."
          },
          "pingTimeoutMs": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "maximum": 3600000,
            "description": "If no frame follows the keepalive Ping within this long, the connection ends with an error event."
          },
          "historyOverflow": {
            "type": "string",
            "enum": [
              "pause",
              "dropOldest"
            ]
          },
          "compression": {
            "type": [
              "boolean",
              "null"
            ]
          },
          "proxy": {
            "description": "An HTTP CONNECT proxy, http://[user:password@]host[:port]; \"none\" connects directly; null takes the server's default, else the environment (https_proxy, http_proxy, all_proxy, no_proxy).",
            "type": [
              "string",
              "null"
            ]
          },
          "tls": {
            "type": [
              "object",
              "null"
            ],
            "additionalProperties": false,
            "description": "How a wss upstream is verified and whom the gateway presents; caFile/caPem, clientCertificateFile/Pem and clientKeyFile/Pem are each one or the other, a certificate needs its key.",
            "properties": {
              "caFile": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "caPem": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "systemRoots": {
                "type": [
                  "boolean",
                  "null"
                ]
              },
              "serverName": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "clientCertificateFile": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "clientCertificatePem": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "clientKeyFile": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "clientKeyPem": {
                "type": [
                  "string",
                  "null"
                ],
                "minLength": 1
              },
              "insecureSkipVerify": {
                "type": [
                  "boolean",
                  "null"
                ]
              }
            }
          },
          "reconnect": {
            "type": [
              "object",
              "null"
            ],
            "additionalProperties": false,
            "description": "Dial a lost upstream again, with exponential backoff and full jitter; null ends the connection with it. maxDelayMs must be at least initialDelayMs.",
            "properties": {
              "maxAttempts": {
                "type": [
                  "integer",
                  "null"
                ],
                "minimum": 0,
                "maximum": 1000000
              },
              "initialDelayMs": {
                "type": [
                  "integer",
                  "null"
                ],
                "minimum": 1,
                "maximum": 3600000
              },
              "maxDelayMs": {
                "type": [
                  "integer",
                  "null"
                ],
                "minimum": 1,
                "maximum": 3600000
              }
            }
          }
        }
      },
      "Connected": {
        "type": "object",
        "required": [
          "id",
          "url",
          "protocol",
          "state",
          "events"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "url": {
            "type": "string"
          },
          "protocol": {
            "type": [
              "string",
              "null"
            ]
          },
          "state": {
            "type": "string",
            "enum": [
              "open",
              "closing",
              "reconnecting",
              "closed"
            ]
          },
          "events": {
            "type": "string"
          }
        }
      },
      "ConnectionInfo": {
        "type": "object",
        "required": [
          "id",
          "url",
          "protocol",
          "state",
          "createdAt",
          "lastActiveAt",
          "messagesIn",
          "messagesOut",
          "bytesIn",
          "bytesOut",
          "subscribers",
          "lastEventId",
          "reconnect"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "url": {
            "type": "string"
          },
          "protocol": {
            "type": [
              "string",
              "null"
            ]
          },
          "state": {
            "type": "string",
            "enum": [
              "open",
              "closing",
              "reconnecting",
              "closed"
            ]
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastActiveAt": {
            "type": "string",
            "format": "date-time"
          },
          "messagesIn": {
            "type": "integer"
          },
          "messagesOut": {
            "type": "integer"
          },
          "bytesIn": {
            "type": "integer"
          },
          "bytesOut": {
            "type": "integer"
          },
          "subscribers": {
            "type": "integer"
          },
          "lastEventId": {
            "type": "integer"
          },
          "reconnect": {
            "description": "While a lost upstream is being dialled again: the attempts made and the wait for the next (null while one is under way); else null.",
            "oneOf": [
              {
                "type": "null"
              },
              {
                "type": "object",
                "required": [
                  "attempts",
                  "nextAttemptInMs"
                ],
                "properties": {
                  "attempts": {
                    "type": "integer"
                  },
                  "nextAttemptInMs": {
                    "type": [
                      "integer",
                      "null"
                    ]
                  }
                }
              }
            ]
          }
        }
      },
      "CloseResult": {
        "type": "object",
        "required": [
          "id",
          "code",
          "reason",
          "clean"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "code": {
            "type": [
              "integer",
              "null"
            ]
          },
          "reason": {
            "type": [
              "string",
              "null"
            ]
          },
          "clean": {
            "type": "boolean"
          }
        }
      },
      "CloseFrame": {
        "type": "object",
        "required": [
          "code",
          "reason"
        ],
        "additionalProperties": false,
        "properties": {
          "code": {
            "type": "integer",
            "minimum": 1000,
            "maximum": 4999
          },
          "reason": {
            "type": "string"
          }
        }
      },
      "Message": {
        "description": "What the plugin hands its listeners.",
        "oneOf": [
          {
            "type": "object",
            "required": [
              "type",
              "data"
            ],
            "properties": {
              "type": {
                "const": "Text"
              },
              "data": {
                "type": "string"
              }
            }
          },
          {
            "type": "object",
            "required": [
              "type",
              "data"
            ],
            "properties": {
              "type": {
                "enum": [
                  "Binary",
                  "Ping",
                  "Pong"
                ]
              },
              "data": {
                "oneOf": [
                  {
                    "type": "array",
                    "items": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 255
                    }
                  },
                  {
                    "type": "string",
                    "description": "base64"
                  }
                ]
              }
            }
          },
          {
            "type": "object",
            "required": [
              "type",
              "data"
            ],
            "properties": {
              "type": {
                "const": "Close"
              },
              "data": {
                "oneOf": [
                  {
                    "type": "object",
                    "required": [
                      "code",
                      "reason"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "code": {
                        "type": "integer",
                        "minimum": 1000,
                        "maximum": 4999
                      },
                      "reason": {
                        "type": "string"
                      }
                    }
                  },
                  {
                    "type": "null"
                  }
                ]
              }
            }
          }
        ]
      },
      "OutgoingMessage": {
        "description": "A JSON string (Text), an integer array (Binary), or a Message.",
        "oneOf": [
          {
            "type": "string"
          },
          {
            "type": "array",
            "items": {
              "type": "integer",
              "minimum": 0,
              "maximum": 255
            }
          },
          {
            "$ref": "#/components/schemas/Message"
          }
        ]
      },
      "Event": {
        "description": "An SSE record's data: a Message, an error as a bare string (the connection's last event), or with reconnect a Lost or Reconnected notice.",
        "oneOf": [
          {
            "$ref": "#/components/schemas/Message"
          },
          {
            "type": "string"
          },
          {
            "type": "object",
            "required": [
              "type",
              "data"
            ],
            "properties": {
              "type": {
                "const": "Lost"
              },
              "data": {
                "type": "object",
                "required": [
                  "reason",
                  "close",
                  "attempt",
                  "delayMs"
                ],
                "properties": {
                  "reason": {
                    "type": "string"
                  },
                  "close": {
                    "oneOf": [
                      {
                        "type": "null"
                      },
                      {
                        "$ref": "#/components/schemas/CloseFrame"
                      }
                    ]
                  },
                  "attempt": {
                    "type": "integer"
                  },
                  "delayMs": {
                    "type": "integer"
                  }
                }
              }
            }
          },
          {
            "type": "object",
            "required": [
              "type",
              "data"
            ],
            "properties": {
              "type": {
                "const": "Reconnected"
              },
              "data": {
                "type": "object",
                "required": [
                  "attempts"
                ],
                "properties": {
                  "attempts": {
                    "type": "integer"
                  }
                }
              }
            }
          }
        ]
      },
      "ServerSentEvent": {
        "type": "object",
        "description": "One record of the stream: its data is JSON (Event, GapEvent or MultiplexedEvent).",
        "properties": {
          "id": {
            "type": "string"
          },
          "event": {
            "type": "string",
            "enum": [
              "message",
              "gap",
              "gone"
            ]
          },
          "data": {
            "type": "string",
            "contentMediaType": "application/json"
          },
          "retry": {
            "type": "integer"
          }
        }
      },
      "GapEvent": {
        "type": "object",
        "required": [
          "missed",
          "firstAvailable"
        ],
        "properties": {
          "missed": {
            "type": "integer"
          },
          "firstAvailable": {
            "type": "integer"
          }
        }
      },
      "MultiplexedEvent": {
        "type": "object",
        "required": [
          "connection"
        ],
        "properties": {
          "connection": {
            "type": "string"
          },
          "id": {
            "type": "integer"
          },
          "data": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Event"
              },
              {
                "$ref": "#/components/schemas/GapEvent"
              }
            ]
          }
        }
      }
    }
  }
}

"""##
    )
}
