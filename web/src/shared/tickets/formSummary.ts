// A submitted request form as people read it: the item's fields in the item's order, under
// their labels, values in words (lists joined, switches as yes or no). Fields the item no
// longer has (a revised item) follow under their names.
import type { Schemas } from '../api/client'

export interface FormRow {
  name: string
  label: string
  value: string
}

export function formSummary(form: Record<string, unknown>, fields: readonly Schemas['FieldSpec'][], yesNo: (value: boolean) => string): FormRow[] {
  const known = fields.filter((field) => field.name in form).map((field) => field.name)
  const rest = Object.keys(form).filter((name) => !known.includes(name))
  return [...known, ...rest].map((name) => {
    const value = form[name]
    return {
      name,
      label: fields.find((field) => field.name === name)?.label ?? name,
      value: Array.isArray(value)
        ? value.join(', ')
        : typeof value === 'boolean'
          ? yesNo(value)
          : typeof value === 'object' && value !== null
            ? JSON.stringify(value)
            : String(value),
    }
  })
}
