/**
 * The Open Inference Protocol's gRPC messages and the {@code inference.GRPCInferenceService}
 * stubs, generated at build time by protoc from {@code src/main/protobuf/grpc_service.proto}
 * (into {@code target/generated-sources/protobuf}); only this file is written by hand. The
 * server's implementation is {@code dev.kodiak.server.OipGrpcService}.
 */
package dev.kodiak.server.grpc;
