import * as grpc from '@grpc/grpc-js';
import { grpcProto } from './proto';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

interface HealthRequest {
  service: string;
}
interface HealthResponse {
  status: ServingStatus | 'SERVICE_UNKNOWN';
}

/**
 * grpc.health.v1.Health (Check, Watch, List) for the services of one server: '' (the server as a
 * whole) and those named at creation, all with one status.
 */
export class HealthService {
  private status: ServingStatus = 'SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<HealthRequest, HealthResponse>>();

  constructor(private readonly services: string[]) {}

  setStatus(status: ServingStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const watcher of this.watchers) watcher.write({ status });
  }

  addTo(server: grpc.Server): void {
    const known = (service: string) => service === '' || this.services.includes(service);
    server.addService(grpcProto().Health.service, {
      check: (call: grpc.ServerUnaryCall<HealthRequest, HealthResponse>, callback: grpc.sendUnaryData<HealthResponse>) => {
        if (!known(call.request.service)) callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else callback(null, { status: this.status });
      },
      watch: (call: grpc.ServerWritableStream<HealthRequest, HealthResponse>) => {
        call.write({ status: known(call.request.service) ? this.status : 'SERVICE_UNKNOWN' });
        if (!known(call.request.service)) return;
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
        call.on('close', () => this.watchers.delete(call));
      },
      list: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        callback(null, { statuses: Object.fromEntries(['', ...this.services].map((service) => [service, { status: this.status }])) });
      },
    } as grpc.UntypedServiceImplementation);
  }
}
