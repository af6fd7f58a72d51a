/** The part of a pino logger the kit uses, so any pino logger can be passed. */
export interface KitLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
