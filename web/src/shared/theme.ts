// Light and dark: Element Plus's dark variables switch on `html.dark`; the choice is
// remembered per browser and defaults to the system's.
import { ref, watch } from 'vue'

const STORAGE_KEY = 'yunguan.theme'
export type Theme = 'light' | 'dark'

function initialTheme(): Theme {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY)
  if (stored === 'light' || stored === 'dark') return stored
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

export const theme = ref<Theme>(initialTheme())

watch(
  theme,
  (value) => {
    document.documentElement.classList.toggle('dark', value === 'dark')
    globalThis.localStorage?.setItem(STORAGE_KEY, value)
  },
  { immediate: true },
)
