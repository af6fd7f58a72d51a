/** The log methods the bus uses; a pino logger fits. */
export type BusLogger = {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
};
