import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppModule, ModuleService, ModuleServiceDeps, RouteServices } from '@salus/module';

/**
 * The node-side services of the installed modules (`AppModule.service`), created once per node and
 * driven together: routes when the API is built, `start` once it listens, `onBlock` after every
 * commit, `stop` before storage closes. Each gets its own directory under the node's data.
 */
export class ModuleServices {
  private readonly services: { name: string; service: ModuleService }[];

  constructor(modules: readonly AppModule[], deps: Omit<ModuleServiceDeps, 'dataDir'> & { dataDir: string }) {
    this.services = modules.flatMap((m) => {
      if (!m.service) return [];
      const dataDir = join(deps.dataDir, m.name);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      return [{ name: m.name, service: m.service({ ...deps, dataDir }) }];
    });
  }

  routes(app: FastifyInstance, services: RouteServices): void {
    for (const s of this.services) s.service.routes?.(app, services);
  }

  start(): void {
    for (const s of this.services) s.service.start?.();
  }

  onBlock(height: number): void {
    for (const s of this.services) s.service.onBlock?.(height);
  }

  async stop(): Promise<void> {
    for (const s of this.services) await s.service.stop?.();
  }
}
