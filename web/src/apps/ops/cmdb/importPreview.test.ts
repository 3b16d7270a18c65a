import { describe, expect, it } from 'vitest'
import { parseCsv, previewOf } from './importPreview'

describe('import preview', () => {
  it.each([
    ['a,b\n1,2\n', [['a', 'b'], ['1', '2']]],
    ['a,b\r\n"x, y","say ""hi"""\r\n', [['a', 'b'], ['x, y', 'say "hi"']]],
    ['name\n\n核心交换机\n', [['name'], ['核心交换机']]],
    ['a,b\n1,', [['a', 'b'], ['1', '']]],
  ])('reads %j', (text, expected) => {
    expect(parseCsv(text)).toEqual(expected)
  })

  it('refuses an unclosed quote', () => {
    expect(() => parseCsv('a\n"open')).toThrow()
  })

  it('shows JSON kinds as tables and hides credentials', () => {
    const preview = previewOf('json', JSON.stringify({ data_centers: [{ code: 'dc-east', name: '东区' }], devices: [{ name: 'r1', credentials: { community: 'secret' } }] }), 'devices')
    expect(preview.error).toBeNull()
    expect(preview.tables.map((table) => [table.kind, table.rows.length])).toEqual([
      ['data-centers', 1],
      ['devices', 1],
    ])
    expect(preview.tables[1].rows[0].credentials).toBe('••••')
  })

  it('says what is wrong with a document it cannot read', () => {
    expect(previewOf('json', '[1,2]', 'devices').error).not.toBeNull()
    expect(previewOf('json', '{"devices": 3}', 'devices').error).toContain('devices')
    expect(previewOf('json', '{', 'devices').error).not.toBeNull()
  })
})
