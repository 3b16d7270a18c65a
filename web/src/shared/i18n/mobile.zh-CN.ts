// 统一移动 APP 的文字 (zh-CN); en: mobile.en.ts, key for key.
export default {
  title: '统一移动 APP',
  offline: '网络已断开：可以查看已加载的内容，审批等操作将在恢复连接后可用',
  noMore: '没有更多了',
  newApproval: '新的待审批申请',
  notifications: '新审批通知',
  allow: '允许通知',
  permission: { default: '尚未允许', granted: '已允许：应用在后台时也会提醒', denied: '已被浏览器禁止' },
  tabs: { inbox: '审批', catalog: '申请', tasks: '任务', alarms: '告警', me: '我的' },
  inbox: { pending: '待我处理', decided: '我已处理', mine: '我发起的', noneDecided: '还没有处理过的审批', actingFor: '代用户 #{id} 审批' },
  tasks: { none: '没有待处理的任务', complete: '完成', completed: '任务已完成', note: '处理说明', due: '截止 {at}' },
  alarms: { none: '没有活动告警', acknowledge: '确认', acknowledged: '已确认告警', acknowledgedState: '已确认' },
} as const
