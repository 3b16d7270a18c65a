// ECharts for vue-echarts' <v-chart>, imported part by part: this module registers what
// every chart needs (the canvas renderer), and each page registers the chart types and
// components it draws (`use([PieChart])`), so that a page loads only its own.
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import VChart from 'vue-echarts'

use([CanvasRenderer])

export { VChart, use }

/** The status colours charts share with the tags. */
export const STATUS_COLOURS: Record<string, string> = { up: '#2e9d5b', down: '#d93b3b', unknown: '#8b95a3' }
