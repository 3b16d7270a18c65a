// What an import would send, read the way the server reads it: JSON as an object of kinds
// (`{"data_centers":[…],"devices":[…]}`), CSV as a header row and one record a row (quoted
// fields with commas, doubled quotes, CRLF). Only for showing; the server decides.

export interface PreviewTable {
  kind: string
  columns: string[]
  rows: Record<string, string>[]
}

export interface Preview {
  tables: PreviewTable[]
  error: string | null
}

/** RFC 4180 fields of a CSV text. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"' && field === '') quoted = true
    else if (char === ',') {
      record.push(field)
      field = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++
      record.push(field)
      field = ''
      if (record.some((value) => value !== '')) records.push(record)
      record = []
    } else field += char
  }
  if (quoted) throw new Error('a quoted field is not closed')
  record.push(field)
  if (record.some((value) => value !== '')) records.push(record)
  return records
}

export function previewOf(format: 'json' | 'csv', text: string, csvKind: string): Preview {
  if (!text.trim()) return { tables: [], error: null }
  try {
    if (format === 'csv') {
      const [header, ...records] = parseCsv(text)
      return {
        tables: [
          {
            kind: csvKind,
            columns: header,
            rows: records.map((values) => Object.fromEntries(header.map((column, index) => [column, values[index] ?? '']))),
          },
        ],
        error: null,
      }
    }
    const document = JSON.parse(text) as unknown
    if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new Error('{"devices": [ … ], …}')
    const tables: PreviewTable[] = []
    for (const [key, value] of Object.entries(document)) {
      if (!Array.isArray(value)) throw new Error(`${key}: [ … ]`)
      const rows = value.map((row) =>
        Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'object' && v !== null ? (k === 'credentials' ? '••••' : JSON.stringify(v)) : String(v)])),
      )
      const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
      tables.push({ kind: key.replace(/_/g, '-'), columns, rows })
    }
    return { tables, error: null }
  } catch (error) {
    return { tables: [], error: error instanceof Error ? error.message : String(error) }
  }
}
