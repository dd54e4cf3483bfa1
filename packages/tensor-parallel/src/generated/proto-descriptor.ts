// Generated from proto/rerankd/tp/v1/tensor_parallel.proto and proto/grpc/health/v1/health.proto by packages/tensor-parallel/test/tp-proto.test.ts
// (RERANKD_UPDATE_PROTO=1). Do not edit: change the .proto files and regenerate.
export const PROTO_DESCRIPTOR: Record<string, unknown> = {
  "nested": {
    "rerankd": {
      "nested": {
        "tp": {
          "nested": {
            "v1": {
              "nested": {
                "TensorParallel": {
                  "methods": {
                    "Control": {
                      "requestType": "LeaderMessage",
                      "requestStream": true,
                      "responseType": "RankMessage",
                      "responseStream": true
                    },
                    "Exchange": {
                      "requestType": "ExchangeMessage",
                      "requestStream": true,
                      "responseType": "ExchangeMessage",
                      "responseStream": true
                    }
                  }
                },
                "ShardSpec": {
                  "fields": {
                    "size": {
                      "type": "uint32",
                      "id": 1
                    },
                    "model": {
                      "type": "string",
                      "id": 2
                    },
                    "fingerprint": {
                      "type": "string",
                      "id": 3
                    },
                    "dtype": {
                      "type": "string",
                      "id": 4
                    },
                    "maxPositions": {
                      "type": "uint32",
                      "id": 5
                    },
                    "numKvBlocks": {
                      "type": "uint32",
                      "id": 6
                    },
                    "kvBlockSize": {
                      "type": "uint32",
                      "id": 7
                    },
                    "quantization": {
                      "type": "string",
                      "id": 8
                    },
                    "headTokenIds": {
                      "rule": "repeated",
                      "type": "uint32",
                      "id": 9
                    }
                  }
                },
                "Hello": {
                  "fields": {
                    "sessionId": {
                      "type": "string",
                      "id": 1
                    },
                    "rank": {
                      "type": "uint32",
                      "id": 2
                    },
                    "spec": {
                      "type": "ShardSpec",
                      "id": 3
                    },
                    "peers": {
                      "rule": "repeated",
                      "type": "string",
                      "id": 4
                    }
                  }
                },
                "Link": {
                  "fields": {}
                },
                "Sequence": {
                  "fields": {
                    "tokenIds": {
                      "rule": "repeated",
                      "type": "uint32",
                      "id": 1
                    },
                    "startPosition": {
                      "type": "uint32",
                      "id": 2
                    }
                  }
                },
                "PrefixGroup": {
                  "fields": {
                    "blockIds": {
                      "rule": "repeated",
                      "type": "uint32",
                      "id": 1
                    },
                    "prefixLength": {
                      "type": "uint32",
                      "id": 2
                    },
                    "numCachedTokens": {
                      "type": "uint32",
                      "id": 3
                    },
                    "newPrefixTokenIds": {
                      "rule": "repeated",
                      "type": "uint32",
                      "id": 4
                    },
                    "pairs": {
                      "rule": "repeated",
                      "type": "Sequence",
                      "id": 5
                    }
                  }
                },
                "Batch": {
                  "fields": {
                    "sequences": {
                      "rule": "repeated",
                      "type": "Sequence",
                      "id": 1
                    }
                  }
                },
                "Step": {
                  "fields": {
                    "stepId": {
                      "type": "uint64",
                      "id": 1
                    },
                    "blockSize": {
                      "type": "uint32",
                      "id": 2
                    },
                    "prefixGroups": {
                      "rule": "repeated",
                      "type": "PrefixGroup",
                      "id": 3
                    },
                    "unsharedBatches": {
                      "rule": "repeated",
                      "type": "Batch",
                      "id": 4
                    }
                  }
                },
                "Drain": {
                  "fields": {}
                },
                "LeaderMessage": {
                  "oneofs": {
                    "kind": {
                      "oneof": [
                        "hello",
                        "link",
                        "step",
                        "drain"
                      ]
                    }
                  },
                  "fields": {
                    "hello": {
                      "type": "Hello",
                      "id": 1
                    },
                    "link": {
                      "type": "Link",
                      "id": 2
                    },
                    "step": {
                      "type": "Step",
                      "id": 3
                    },
                    "drain": {
                      "type": "Drain",
                      "id": 4
                    }
                  }
                },
                "Loaded": {
                  "fields": {
                    "slicedBytes": {
                      "type": "uint64",
                      "id": 1
                    },
                    "slicedFullBytes": {
                      "type": "uint64",
                      "id": 2
                    },
                    "wholeBytes": {
                      "type": "uint64",
                      "id": 3
                    },
                    "graphBytes": {
                      "type": "uint64",
                      "id": 4
                    }
                  }
                },
                "Linked": {
                  "fields": {}
                },
                "StepDone": {
                  "fields": {
                    "stepId": {
                      "type": "uint64",
                      "id": 1
                    },
                    "seconds": {
                      "type": "double",
                      "id": 2
                    }
                  }
                },
                "Failure": {
                  "fields": {
                    "message": {
                      "type": "string",
                      "id": 1
                    }
                  }
                },
                "Leaving": {
                  "fields": {
                    "reason": {
                      "type": "string",
                      "id": 1
                    }
                  }
                },
                "RankMessage": {
                  "oneofs": {
                    "kind": {
                      "oneof": [
                        "loaded",
                        "linked",
                        "stepDone",
                        "failure",
                        "leaving"
                      ]
                    }
                  },
                  "fields": {
                    "loaded": {
                      "type": "Loaded",
                      "id": 1
                    },
                    "linked": {
                      "type": "Linked",
                      "id": 2
                    },
                    "stepDone": {
                      "type": "StepDone",
                      "id": 3
                    },
                    "failure": {
                      "type": "Failure",
                      "id": 4
                    },
                    "leaving": {
                      "type": "Leaving",
                      "id": 5
                    }
                  }
                },
                "Open": {
                  "fields": {
                    "sessionId": {
                      "type": "string",
                      "id": 1
                    },
                    "rank": {
                      "type": "uint32",
                      "id": 2
                    }
                  }
                },
                "Tensor": {
                  "fields": {
                    "sequence": {
                      "type": "uint64",
                      "id": 1
                    },
                    "part": {
                      "type": "uint32",
                      "id": 2
                    },
                    "phase": {
                      "type": "uint32",
                      "id": 3
                    },
                    "data": {
                      "type": "bytes",
                      "id": 4
                    }
                  }
                },
                "ExchangeMessage": {
                  "oneofs": {
                    "kind": {
                      "oneof": [
                        "open",
                        "tensor"
                      ]
                    }
                  },
                  "fields": {
                    "open": {
                      "type": "Open",
                      "id": 1
                    },
                    "tensor": {
                      "type": "Tensor",
                      "id": 2
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "grpc": {
      "nested": {
        "health": {
          "nested": {
            "v1": {
              "options": {
                "csharp_namespace": "Grpc.Health.V1",
                "go_package": "google.golang.org/grpc/health/grpc_health_v1",
                "java_multiple_files": true,
                "java_outer_classname": "HealthProto",
                "java_package": "io.grpc.health.v1"
              },
              "nested": {
                "HealthListRequest": {
                  "fields": {}
                },
                "HealthListResponse": {
                  "fields": {
                    "statuses": {
                      "keyType": "string",
                      "type": "HealthCheckResponse",
                      "id": 1
                    }
                  }
                },
                "HealthCheckRequest": {
                  "fields": {
                    "service": {
                      "type": "string",
                      "id": 1
                    }
                  }
                },
                "HealthCheckResponse": {
                  "fields": {
                    "status": {
                      "type": "ServingStatus",
                      "id": 1
                    }
                  },
                  "nested": {
                    "ServingStatus": {
                      "values": {
                        "UNKNOWN": 0,
                        "SERVING": 1,
                        "NOT_SERVING": 2,
                        "SERVICE_UNKNOWN": 3
                      }
                    }
                  }
                },
                "Health": {
                  "methods": {
                    "Check": {
                      "requestType": "HealthCheckRequest",
                      "responseType": "HealthCheckResponse"
                    },
                    "Watch": {
                      "requestType": "HealthCheckRequest",
                      "responseType": "HealthCheckResponse",
                      "responseStream": true
                    },
                    "List": {
                      "requestType": "HealthListRequest",
                      "responseType": "HealthListResponse"
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
};
