// ECharts, imported part by part (only the charts and components the pages use), for
// vue-echarts' <v-chart>. Pages import `VChart` from here so that the registration runs once.
import { use } from 'echarts/core'
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import VChart from 'vue-echarts'

use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, DataZoomComponent, CanvasRenderer])

export { VChart }

/** The severity colours charts share with the tags. */
export const SEVERITY_COLOURS: Record<string, string> = {
  critical: '#d93b3b',
  major: '#e6a23c',
  minor: '#409eff',
  info: '#909399',
}
export const STATUS_COLOURS: Record<string, string> = { up: '#2e9d5b', down: '#d93b3b', unknown: '#8b95a3' }
