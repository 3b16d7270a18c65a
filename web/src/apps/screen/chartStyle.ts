// The wall's chart looks: light text on the dark stage, no tooltips (nobody hovers a wall),
// short update animations. Options only; the charts merge them in place.
import type { EChartsCoreOption } from 'echarts/core'

export const TEXT = '#b9d3ee'
export const MUTED = '#7f9bb9'
export const GRID_LINE = 'rgba(63, 140, 200, 0.18)'
export const SEVERITY_COLOURS: Record<string, string> = { critical: '#ff3b3b', major: '#ff8c1a', minor: '#f5c400', info: '#3a8dde' }
export const STATUS_COLOURS: Record<string, string> = { up: '#27c08a', down: '#ff4d4f', unknown: '#56606e' }

const base = { backgroundColor: 'transparent', animationDurationUpdate: 400, textStyle: { color: TEXT, fontSize: 16 } }

export interface Slice {
  name: string
  value: number
  colour: string
}

/** A ring of slices, its total in the middle; an empty track when every slice is zero. */
export function ring(slices: Slice[], total: string, caption: string): EChartsCoreOption {
  return {
    ...base,
    legend: { bottom: 0, data: slices.map((slice) => slice.name), textStyle: { color: TEXT, fontSize: 16 }, itemWidth: 14, itemHeight: 14 },
    title: {
      text: total,
      subtext: caption,
      left: 'center',
      top: '34%',
      textStyle: { color: '#eaf6ff', fontSize: 36, fontWeight: 700 },
      subtextStyle: { color: MUTED, fontSize: 16 },
    },
    series: [
      {
        type: 'pie',
        silent: true,
        radius: ['52%', '72%'],
        center: ['50%', '44%'],
        label: { show: false },
        data: [{ value: 1, name: '', itemStyle: { color: 'rgba(63, 140, 200, 0.16)' } }],
        z: 1,
      },
      {
        type: 'pie',
        radius: ['52%', '72%'],
        center: ['50%', '44%'],
        stillShowZeroSum: false,
        label: { show: false },
        itemStyle: { borderColor: '#04101f', borderWidth: 3 },
        data: slices.map((slice) => ({ name: slice.name, value: slice.value, itemStyle: { color: slice.colour } })),
        z: 2,
      },
    ],
  }
}

/** Horizontal bars, the longest on top; `max` fixes the scale (percentages). */
export function bars(rows: { name: string; value: number; colour?: string }[], options: { max?: number; unit?: string } = {}): EChartsCoreOption {
  const ordered = [...rows].reverse()
  return {
    ...base,
    grid: { left: 8, right: 70, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', max: options.max, splitLine: { lineStyle: { color: GRID_LINE } }, axisLabel: { color: MUTED, fontSize: 14 } },
    yAxis: { type: 'category', data: ordered.map((row) => row.name), axisLabel: { color: TEXT, fontSize: 15, width: 230, overflow: 'truncate' }, axisLine: { show: false }, axisTick: { show: false } },
    series: [
      {
        type: 'bar',
        barWidth: '55%',
        data: ordered.map((row) => ({ value: Number(row.value.toFixed(1)), itemStyle: { color: row.colour ?? '#3fd0ff', borderRadius: [0, 3, 3, 0] } })),
        label: { show: true, position: 'right', color: '#eaf6ff', fontSize: 15, formatter: `{c}${options.unit ?? ''}` },
      },
    ],
  }
}

/** Grouped columns: one group per category, one column per series. */
export function columns(categories: string[], series: { name: string; values: number[]; colour: string; stack?: string }[]): EChartsCoreOption {
  return {
    ...base,
    legend: { top: 0, right: 0, textStyle: { color: TEXT, fontSize: 15 } },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: categories, axisLabel: { color: TEXT, fontSize: 15, interval: 0, width: 150, overflow: 'break' }, axisLine: { lineStyle: { color: GRID_LINE } } },
    yAxis: { type: 'value', splitLine: { lineStyle: { color: GRID_LINE } }, axisLabel: { color: MUTED, fontSize: 14 } },
    series: series.map((each) => ({
      type: 'bar',
      name: each.name,
      stack: each.stack,
      barMaxWidth: 36,
      data: each.values,
      itemStyle: { color: each.colour },
    })),
  }
}

/** Gauges side by side, each a share in percent. */
export function gauges(items: { name: string; percent: number }[]): EChartsCoreOption {
  const width = 100 / Math.max(1, items.length)
  return {
    ...base,
    series: items.map((item, index) => ({
      type: 'gauge',
      center: [`${width * index + width / 2}%`, '55%'],
      radius: '68%',
      startAngle: 220,
      endAngle: -40,
      min: 0,
      max: 100,
      progress: { show: true, width: 14, itemStyle: { color: item.percent >= 90 ? '#ff4d4f' : item.percent >= 75 ? '#ff8c1a' : '#3fd0ff' } },
      axisLine: { lineStyle: { width: 14, color: [[1, 'rgba(63, 140, 200, 0.2)']] } },
      axisTick: { show: false },
      splitLine: { show: false },
      axisLabel: { show: false },
      pointer: { show: false },
      title: { offsetCenter: [0, '62%'], color: TEXT, fontSize: 18 },
      detail: { offsetCenter: [0, '5%'], valueAnimation: true, color: '#eaf6ff', fontSize: 30, fontWeight: 700, formatter: '{value}%' },
      data: [{ name: item.name, value: Math.round(item.percent * 10) / 10 }],
    })),
  }
}
