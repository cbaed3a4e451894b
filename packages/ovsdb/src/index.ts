export { type ConnectionState, OvsdbClient, type OvsdbClientOptions } from './client.js';
export { OvsdbConnectionError, OvsdbError, OvsdbRpcError, OvsdbTransactionError } from './errors.js';
export { JsonStreamParser } from './json-stream.js';
export type { MonitorMethod, MonitorTables } from './monitor.js';
export {
  type Condition,
  type ConditionFunction,
  type Mutation,
  type Mutator,
  type Operation,
  type OperationResult,
  operationToWire,
  ops,
  parseTransactResult,
  where,
} from './operations.js';
export { type ChangeEvent, type ChangeKind, type ChangeListener, Replica } from './replica.js';
export { type OvsdbTarget, parseTarget } from './rpc-connection.js';
export {
  type AtomicType,
  type ColumnType,
  columnDefault,
  type DatabaseSchema,
  parseSchema,
  type TableSchema,
} from './schema.js';
export * from './values.js';
