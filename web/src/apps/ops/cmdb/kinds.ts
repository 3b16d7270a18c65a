// The CMDB's kinds as data: what each list shows, what its form asks for, how it filters by
// its parent and which kinds hang below it. One page and one form serve all eleven; field
// names are checked against the generated request types, so a renamed API field fails the
// build here.
import type { Schemas } from '@shared/api/client'

export type Kind =
  | 'data-centers'
  | 'machine-rooms'
  | 'racks'
  | 'devices'
  | 'interfaces'
  | 'links'
  | 'cloud-platforms'
  | 'clusters'
  | 'hosts'
  | 'vms'
  | 'resource-pools'

/** How a value is shown in a list or a detail. */
export type Display = 'text' | 'number' | 'bps' | 'datetime' | 'bool' | 'list' | { ref: Kind } | { enumOf: string }

/** How a field is asked for in the form. */
export type Input =
  | { type: 'text'; required?: boolean }
  | { type: 'integer'; min?: number; max?: number; required?: boolean }
  | { type: 'decimal'; min?: number; required?: boolean }
  | { type: 'boolean' }
  | { type: 'choice'; options: readonly string[]; enumOf?: string; required?: boolean; default?: string }
  | { type: 'reference'; kind: Kind; required?: boolean }
  | { type: 'list' }
  | { type: 'secret-json'; placeholder?: string }

export interface Column {
  key: string
  display?: Display
}

export interface Field<F> {
  key: keyof F & string
  input: Input
  /** Only when creating (a natural key the server will not change). */
  createOnly?: boolean
  /** The i18n key of a line under the input, for what the label cannot say. */
  hint?: string
}

export interface Filter {
  key: string
  input: { type: 'reference'; kind: Kind } | { type: 'choice'; options: readonly string[]; enumOf?: string }
}

export interface KindSpec<F = Record<string, unknown>> {
  kind: Kind
  /** The `object_kind` of its change history. */
  objectKind: string
  group: 'sites' | 'network' | 'cloud' | 'pools'
  /** What names a record in titles and references. */
  label: (row: Record<string, unknown>) => string
  columns: Column[]
  fields: Field<F>[]
  filters: Filter[]
  /** Kinds listed under a record, with the filter that selects them. */
  children: { kind: Kind; filter: string }[]
  /** The device page (monitoring) for devices. */
  monitoringLink?: (row: Record<string, unknown>) => string
}

export const DEVICE_KINDS = ['server', 'switch', 'router', 'firewall', 'load_balancer', 'storage_array'] as const
const TIERS = ['core', 'aggregation', 'access', 'host'] as const
/** Which way a rack's front faces on its room's grid (row 1 is north, the last column east). */
const FACINGS = ['north', 'south', 'east', 'west'] as const
const PLACEMENT_POLICIES = ['spread', 'pack', 'tenant_affinity', 'tenant_anti_affinity'] as const
const name = (row: Record<string, unknown>) => String(row.name ?? row.code ?? `#${row.id}`)

function spec<F>(value: KindSpec<F>): KindSpec {
  return value as unknown as KindSpec
}

export const KINDS: readonly KindSpec[] = [
  spec<Schemas['DataCenterFields']>({
    kind: 'data-centers',
    objectKind: 'data_center',
    group: 'sites',
    label: name,
    columns: [{ key: 'code' }, { key: 'name' }, { key: 'region' }, { key: 'address' }, { key: 'updated_at', display: 'datetime' }],
    fields: [
      { key: 'code', input: { type: 'text', required: true } },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'region', input: { type: 'text' } },
      { key: 'address', input: { type: 'text' } },
    ],
    filters: [],
    children: [
      { kind: 'machine-rooms', filter: 'data_center_id' },
      { kind: 'devices', filter: 'data_center_id' },
      { kind: 'cloud-platforms', filter: 'data_center_id' },
      { kind: 'resource-pools', filter: 'data_center_id' },
    ],
  }),
  spec<Schemas['MachineRoomFields']>({
    kind: 'machine-rooms',
    objectKind: 'machine_room',
    group: 'sites',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'data_center_id', display: { ref: 'data-centers' } },
      { key: 'floor', display: 'number' },
      { key: 'grid_rows', display: 'number' },
      { key: 'grid_columns', display: 'number' },
    ],
    fields: [
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers', required: true } },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'floor', input: { type: 'integer' } },
      // The floor as a grid of rack positions (the 3D room); both or neither, `null` clears.
      { key: 'grid_rows', input: { type: 'integer', min: 1, max: 100 } },
      { key: 'grid_columns', input: { type: 'integer', min: 1, max: 100 }, hint: 'cmdb.hints.roomGrid' },
    ],
    filters: [{ key: 'data_center_id', input: { type: 'reference', kind: 'data-centers' } }],
    children: [{ kind: 'racks', filter: 'room_id' }],
  }),
  spec<Schemas['RackFields']>({
    kind: 'racks',
    objectKind: 'rack',
    group: 'sites',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'room_id', display: { ref: 'machine-rooms' } },
      { key: 'height_u', display: 'number' },
      { key: 'grid_row', display: 'number' },
      { key: 'grid_column', display: 'number' },
      { key: 'facing', display: { enumOf: 'cmdb.facings' } },
    ],
    fields: [
      { key: 'room_id', input: { type: 'reference', kind: 'machine-rooms', required: true } },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'height_u', input: { type: 'integer', min: 1, max: 60 } },
      // Its position on the room's grid: both or neither (`null` takes it off the grid).
      { key: 'grid_row', input: { type: 'integer', min: 1 } },
      { key: 'grid_column', input: { type: 'integer', min: 1 }, hint: 'cmdb.hints.rackPlace' },
      { key: 'facing', input: { type: 'choice', options: FACINGS, enumOf: 'cmdb.facings', default: 'south' }, hint: 'cmdb.hints.facing' },
    ],
    filters: [{ key: 'room_id', input: { type: 'reference', kind: 'machine-rooms' } }],
    children: [{ kind: 'devices', filter: 'rack_id' }],
  }),
  spec<Schemas['DeviceFields']>({
    kind: 'devices',
    objectKind: 'device',
    group: 'network',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'kind', display: { enumOf: 'deviceKind' } },
      { key: 'tier', display: { enumOf: 'tier' } },
      { key: 'data_center_id', display: { ref: 'data-centers' } },
      { key: 'rack_id', display: { ref: 'racks' } },
      { key: 'rack_unit', display: 'number' },
      { key: 'management_address' },
      { key: 'snmp_version' },
      { key: 'vendor' },
      { key: 'model' },
      { key: 'serial_number' },
      { key: 'firmware' },
      { key: 'poll_interval_secs', display: 'number' },
    ],
    fields: [
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers', required: true } },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'kind', input: { type: 'choice', options: DEVICE_KINDS, enumOf: 'deviceKind', required: true } },
      { key: 'tier', input: { type: 'choice', options: TIERS, enumOf: 'tier', required: true } },
      { key: 'management_address', input: { type: 'text', required: true } },
      { key: 'rack_id', input: { type: 'reference', kind: 'racks' } },
      { key: 'rack_unit', input: { type: 'integer', min: 1, max: 60 } },
      { key: 'height_u', input: { type: 'integer', min: 1, max: 20 } },
      { key: 'pool_id', input: { type: 'reference', kind: 'resource-pools' } },
      { key: 'vendor', input: { type: 'text' } },
      { key: 'model', input: { type: 'text' } },
      { key: 'serial_number', input: { type: 'text' } },
      { key: 'firmware', input: { type: 'text' } },
      { key: 'poll_interval_secs', input: { type: 'integer', min: 10, max: 86400 } },
      { key: 'credentials', input: { type: 'secret-json', placeholder: '{"version":"v2c","community":"…"}' } },
    ],
    filters: [
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers' } },
      { key: 'kind', input: { type: 'choice', options: DEVICE_KINDS, enumOf: 'deviceKind' } },
      { key: 'tier', input: { type: 'choice', options: TIERS, enumOf: 'tier' } },
    ],
    children: [{ kind: 'interfaces', filter: 'device_id' }],
    monitoringLink: (row) => `/devices/${row.id}`,
  }),
  spec<Schemas['InterfaceFields']>({
    kind: 'interfaces',
    objectKind: 'interface',
    group: 'network',
    label: (row) => `${row.name ?? ''} (#${row.if_index ?? row.id})`,
    columns: [{ key: 'device_id', display: { ref: 'devices' } }, { key: 'if_index', display: 'number' }, { key: 'name' }, { key: 'speed_bps', display: 'bps' }, { key: 'description' }],
    fields: [
      { key: 'device_id', input: { type: 'reference', kind: 'devices', required: true }, createOnly: true },
      { key: 'if_index', input: { type: 'integer', min: 1, required: true }, createOnly: true },
      { key: 'name', input: { type: 'text' } },
      { key: 'speed_bps', input: { type: 'integer', min: 0 } },
      { key: 'description', input: { type: 'text' } },
    ],
    filters: [{ key: 'device_id', input: { type: 'reference', kind: 'devices' } }],
    children: [{ kind: 'links', filter: 'interface_id' }],
  }),
  spec<Schemas['LinkFields']>({
    kind: 'links',
    objectKind: 'link',
    group: 'network',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'a_interface_id', display: { ref: 'interfaces' } },
      { key: 'b_interface_id', display: { ref: 'interfaces' } },
      { key: 'bandwidth_bps', display: 'bps' },
    ],
    fields: [
      { key: 'a_interface_id', input: { type: 'reference', kind: 'interfaces', required: true } },
      { key: 'b_interface_id', input: { type: 'reference', kind: 'interfaces', required: true } },
      { key: 'bandwidth_bps', input: { type: 'integer', min: 1 } },
      { key: 'name', input: { type: 'text' } },
    ],
    filters: [{ key: 'interface_id', input: { type: 'reference', kind: 'interfaces' } }],
    children: [],
  }),
  spec<Schemas['CloudPlatformFields']>({
    kind: 'cloud-platforms',
    objectKind: 'cloud_platform',
    group: 'cloud',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'kind' },
      { key: 'data_center_id', display: { ref: 'data-centers' } },
      { key: 'endpoint' },
      { key: 'has_credentials', display: 'bool' },
      { key: 'sync_interval_secs', display: 'number' },
    ],
    fields: [
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers', required: true } },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'kind', input: { type: 'choice', options: ['openstack', 'vmware', 'kubernetes', 'simulated'], required: true } },
      { key: 'endpoint', input: { type: 'text' } },
      { key: 'sync_interval_secs', input: { type: 'integer', min: 30, max: 86400 } },
      { key: 'credentials', input: { type: 'secret-json', placeholder: '{"username":"…","password":"…","project":"…","domain":"Default"}' } },
    ],
    filters: [
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers' } },
      { key: 'kind', input: { type: 'choice', options: ['openstack', 'vmware', 'kubernetes', 'simulated'] } },
    ],
    children: [
      { kind: 'clusters', filter: 'platform_id' },
      { kind: 'vms', filter: 'platform_id' },
    ],
  }),
  spec<Schemas['ClusterFields']>({
    kind: 'clusters',
    objectKind: 'cluster',
    group: 'cloud',
    label: name,
    columns: [{ key: 'name' }, { key: 'platform_id', display: { ref: 'cloud-platforms' } }, { key: 'pool_id', display: { ref: 'resource-pools' } }],
    fields: [
      { key: 'platform_id', input: { type: 'reference', kind: 'cloud-platforms', required: true } },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'pool_id', input: { type: 'reference', kind: 'resource-pools' } },
    ],
    filters: [
      { key: 'platform_id', input: { type: 'reference', kind: 'cloud-platforms' } },
      { key: 'pool_id', input: { type: 'reference', kind: 'resource-pools' } },
    ],
    children: [{ kind: 'hosts', filter: 'cluster_id' }],
  }),
  spec<Schemas['HostFields']>({
    kind: 'hosts',
    objectKind: 'host',
    group: 'cloud',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'cluster_id', display: { ref: 'clusters' } },
      { key: 'state' },
      { key: 'schedulable', display: 'bool' },
      { key: 'vcpu_used', display: 'number' },
      { key: 'vcpu_total', display: 'number' },
      { key: 'memory_mb_used', display: 'number' },
      { key: 'memory_mb_total', display: 'number' },
      { key: 'disk_gb_used', display: 'number' },
      { key: 'disk_gb_total', display: 'number' },
    ],
    fields: [
      { key: 'cluster_id', input: { type: 'reference', kind: 'clusters', required: true } },
      { key: 'external_id', input: { type: 'text', required: true }, createOnly: true },
      { key: 'name', input: { type: 'text' } },
      { key: 'state', input: { type: 'choice', options: ['up', 'down', 'missing'] } },
      { key: 'schedulable', input: { type: 'boolean' } },
      { key: 'vcpu_total', input: { type: 'integer', min: 0 } },
      { key: 'memory_mb_total', input: { type: 'integer', min: 0 } },
      { key: 'disk_gb_total', input: { type: 'integer', min: 0 } },
    ],
    filters: [
      { key: 'cluster_id', input: { type: 'reference', kind: 'clusters' } },
      { key: 'state', input: { type: 'choice', options: ['up', 'down', 'missing'] } },
    ],
    children: [{ kind: 'vms', filter: 'host_id' }],
  }),
  spec<Schemas['VmFields']>({
    kind: 'vms',
    objectKind: 'vm',
    group: 'cloud',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'platform_id', display: { ref: 'cloud-platforms' } },
      { key: 'host_id', display: { ref: 'hosts' } },
      { key: 'tenant_id', display: 'number' },
      { key: 'business_system' },
      { key: 'state' },
      { key: 'vcpu', display: 'number' },
      { key: 'memory_mb', display: 'number' },
      { key: 'disk_gb', display: 'number' },
      { key: 'addresses', display: 'list' },
    ],
    fields: [
      { key: 'platform_id', input: { type: 'reference', kind: 'cloud-platforms', required: true }, createOnly: true },
      { key: 'external_id', input: { type: 'text', required: true }, createOnly: true },
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'host_id', input: { type: 'reference', kind: 'hosts' } },
      { key: 'tenant_id', input: { type: 'integer', min: 1 } },
      { key: 'business_system', input: { type: 'text' } },
      { key: 'state', input: { type: 'text' } },
      { key: 'vcpu', input: { type: 'integer', min: 1 } },
      { key: 'memory_mb', input: { type: 'integer', min: 1 } },
      { key: 'disk_gb', input: { type: 'integer', min: 0 } },
      { key: 'addresses', input: { type: 'list' } },
    ],
    filters: [
      { key: 'platform_id', input: { type: 'reference', kind: 'cloud-platforms' } },
      { key: 'host_id', input: { type: 'reference', kind: 'hosts' } },
    ],
    children: [],
  }),
  spec<Schemas['ResourcePoolFields']>({
    kind: 'resource-pools',
    objectKind: 'resource_pool',
    group: 'pools',
    label: name,
    columns: [
      { key: 'name' },
      { key: 'kind' },
      { key: 'data_center_id', display: { ref: 'data-centers' } },
      { key: 'cpu_overcommit', display: 'number' },
      { key: 'memory_overcommit', display: 'number' },
      { key: 'disk_overcommit', display: 'number' },
      { key: 'placement_policy', display: { enumOf: 'cmdb.placementPolicies' } },
    ],
    fields: [
      { key: 'name', input: { type: 'text', required: true } },
      { key: 'kind', input: { type: 'choice', options: ['compute', 'network', 'storage'], required: true } },
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers' } },
      { key: 'cpu_overcommit', input: { type: 'decimal', min: 0.1 } },
      { key: 'memory_overcommit', input: { type: 'decimal', min: 0.1 } },
      { key: 'disk_overcommit', input: { type: 'decimal', min: 0.1 } },
      {
        key: 'placement_policy',
        input: { type: 'choice', options: PLACEMENT_POLICIES, enumOf: 'cmdb.placementPolicies', default: 'spread' },
        hint: 'cmdb.hints.placementPolicy',
      },
      { key: 'tenant_id', input: { type: 'integer', min: 1 }, hint: 'cmdb.hints.poolTenant' },
    ],
    filters: [
      { key: 'data_center_id', input: { type: 'reference', kind: 'data-centers' } },
      { key: 'kind', input: { type: 'choice', options: ['compute', 'network', 'storage'] } },
    ],
    children: [
      { kind: 'clusters', filter: 'pool_id' },
      { kind: 'devices', filter: 'pool_id' },
    ],
  }),
]

export function specOf(kind: string): KindSpec | undefined {
  return KINDS.find((spec) => spec.kind === kind)
}

/** What a new record's form starts with: its choices' defaults, then what is known already
 * (the list's filters: the parent it is created under). */
export function newRecordValues(spec: KindSpec, known: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const field of spec.fields) if (field.input.type === 'choice' && field.input.default !== undefined) values[field.key] = field.input.default
  return { ...values, ...known }
}

/**
 * What a PATCH should send: only the fields whose value changed (the server changes only
 * the fields sent; `null` clears one). An empty secret means "keep it".
 */
export function changedFields(spec: KindSpec, before: Record<string, unknown>, edited: Record<string, unknown>): Record<string, unknown> {
  const changes: Record<string, unknown> = {}
  for (const field of spec.fields) {
    if (field.createOnly) continue
    const value = edited[field.key]
    if (field.input.type === 'secret-json') {
      if (typeof value === 'string' && value.trim()) changes[field.key] = JSON.parse(value)
      continue
    }
    const normalized = value === '' ? null : value
    const previous = before[field.key] ?? null
    if (JSON.stringify(normalized ?? null) !== JSON.stringify(previous)) changes[field.key] = normalized ?? null
  }
  return changes
}

/** What a POST should send: every field given a value. */
export function createdFields(spec: KindSpec, edited: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const field of spec.fields) {
    const value = edited[field.key]
    if (value === undefined || value === null || value === '') continue
    body[field.key] = field.input.type === 'secret-json' ? JSON.parse(String(value)) : value
  }
  return body
}
