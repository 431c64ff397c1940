/**
 * The node's logger as a module's services use it (pino's `Logger` satisfies it): a context object
 * first, then the message, so lines stay structured and the service needs no logging library.
 */
export interface ServiceLog {
  info(ctx: object, msg: string): void;
  warn(ctx: object, msg: string): void;
}
