// Imported first by main.ts, so OpenTelemetry patches gRPC and HTTP before they load.
import { registerTelemetry } from '@keel/telemetry';

registerTelemetry('evaluation');
