/**
 * The target fields the filter language knows (hawkBit's, plus Rollgate's deviceType, region and site).
 * Field names match case-insensitively, as in hawkBit; map keys (attribute.<key>) keep their case.
 */
export interface FilterTarget {
  controllerId: string;
  name?: string | null;
  description?: string | null;
  createdAt?: number | null;
  createdBy?: string | null;
  lastModifiedAt?: number | null;
  lastModifiedBy?: string | null;
  updateStatus?: string | null;
  address?: string | null;
  lastTargetQuery?: number | null;
  attributes?: Readonly<Record<string, string>> | null;
  metadata?: Readonly<Record<string, string>> | null;
  group?: string | null;
  tags?: readonly string[] | null;
  assignedDistributionSet?: { name: string; version: string } | null;
  installedDistributionSet?: { name: string; version: string } | null;
  targetType?: { key: string; name: string } | null;
  deviceType?: string | null;
  region?: string | null;
  site?: string | null;
}

export type FieldKind = 'string' | 'number' | 'enum' | 'map' | 'list';

/** Column keys of the targets read model; each maps to a column name (see DEFAULT_TARGET_COLUMNS). */
export type ColumnKey =
  | 'controllerId' | 'name' | 'description' | 'createdAt' | 'createdBy' | 'lastModifiedAt' | 'lastModifiedBy'
  | 'updateStatus' | 'address' | 'lastTargetQuery' | 'attributes' | 'metadata' | 'group' | 'tags'
  | 'assignedDsName' | 'assignedDsVersion' | 'installedDsName' | 'installedDsVersion' | 'targetTypeKey' | 'targetTypeName'
  | 'deviceType' | 'region' | 'site';

export interface FieldDef {
  /** The canonical selector, e.g. `assignedDistributionSet.version`. */
  name: string;
  kind: FieldKind;
  column: ColumnKey;
  /** Reads the value from an in-memory target (for maps, `key` picks the entry). */
  read(t: FilterTarget, key?: string): string | number | readonly string[] | null | undefined;
  enumValues?: readonly string[];
}

export const UPDATE_STATUSES = ['UNKNOWN', 'IN_SYNC', 'PENDING', 'ERROR', 'REGISTERED'] as const;

const def = (name: string, kind: FieldKind, column: ColumnKey, read: FieldDef['read'], enumValues?: readonly string[]): FieldDef =>
  ({ name, kind, column, read, enumValues });

const FIELDS: FieldDef[] = [
  def('controllerId', 'string', 'controllerId', (t) => t.controllerId),
  def('name', 'string', 'name', (t) => t.name),
  def('description', 'string', 'description', (t) => t.description),
  def('createdAt', 'number', 'createdAt', (t) => t.createdAt),
  def('createdBy', 'string', 'createdBy', (t) => t.createdBy),
  def('lastModifiedAt', 'number', 'lastModifiedAt', (t) => t.lastModifiedAt),
  def('lastModifiedBy', 'string', 'lastModifiedBy', (t) => t.lastModifiedBy),
  def('updateStatus', 'enum', 'updateStatus', (t) => t.updateStatus, UPDATE_STATUSES),
  def('address', 'string', 'address', (t) => t.address),
  def('lastTargetQuery', 'number', 'lastTargetQuery', (t) => t.lastTargetQuery),
  def('group', 'string', 'group', (t) => t.group),
  def('tags.name', 'list', 'tags', (t) => t.tags),
  def('assignedDistributionSet.name', 'string', 'assignedDsName', (t) => t.assignedDistributionSet?.name),
  def('assignedDistributionSet.version', 'string', 'assignedDsVersion', (t) => t.assignedDistributionSet?.version),
  def('installedDistributionSet.name', 'string', 'installedDsName', (t) => t.installedDistributionSet?.name),
  def('installedDistributionSet.version', 'string', 'installedDsVersion', (t) => t.installedDistributionSet?.version),
  def('targetType.key', 'string', 'targetTypeKey', (t) => t.targetType?.key),
  def('targetType.name', 'string', 'targetTypeName', (t) => t.targetType?.name),
  def('deviceType', 'string', 'deviceType', (t) => t.deviceType),
  def('region', 'string', 'region', (t) => t.region),
  def('site', 'string', 'site', (t) => t.site),
];

const ATTRIBUTES = def('attribute', 'map', 'attributes', (t, key) => t.attributes?.[key!]);
const METADATA = def('metadata', 'map', 'metadata', (t, key) => t.metadata?.[key!]);

const BY_NAME = new Map<string, FieldDef>(FIELDS.map((f) => [f.name.toLowerCase(), f]));
BY_NAME.set('id', BY_NAME.get('controllerid')!);

/** Every selector the language accepts, for error messages and documentation. */
export const KNOWN_SELECTORS: readonly string[] = [...FIELDS.map((f) => f.name), 'id', 'attribute.<key>', 'controllerAttributes.<key>', 'metadata.<key>'];

export interface FieldRef {
  field: FieldDef;
  key?: string;
}

/** Resolves a selector to a field, or undefined when the language does not know it. */
export function resolveField(selector: string): FieldRef | undefined {
  const dot = selector.indexOf('.');
  if (dot > 0) {
    const head = selector.slice(0, dot).toLowerCase();
    const key = selector.slice(dot + 1);
    if (key.length > 0 && (head === 'attribute' || head === 'controllerattributes')) return { field: ATTRIBUTES, key };
    if (key.length > 0 && head === 'metadata') return { field: METADATA, key };
  }
  const field = BY_NAME.get(selector.toLowerCase());
  return field ? { field } : undefined;
}
