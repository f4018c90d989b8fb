// The slice of parquetjs 0.11 (untyped) that the benchmark uses as its baseline.
declare module 'parquetjs' {
  import type { Writable } from 'node:stream';

  export interface FieldDefinition {
    type: string;
    optional?: boolean;
    compression?: string;
  }

  export class ParquetSchema {
    constructor(fields: Record<string, FieldDefinition>);
  }

  export class ParquetWriter {
    static openStream(
      schema: ParquetSchema,
      stream: Writable,
      opts?: { rowGroupSize?: number },
    ): Promise<ParquetWriter>;
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
  }
}
