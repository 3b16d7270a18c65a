// The mobile app's words (en), key for key with mobile.zh-CN.ts.
export default {
  title: 'Mobile App',
  offline: 'You are offline: what is loaded stays readable; approvals and other actions come back with the connection',
  noMore: 'No more',
  newApproval: 'A new request awaits your approval',
  notifications: 'New approval notifications',
  allow: 'Allow',
  permission: { default: 'Not allowed yet', granted: 'Allowed: you are told even when the app is in the background', denied: 'Blocked by the browser' },
  tabs: { inbox: 'Approvals', catalog: 'Request', tasks: 'Tasks', alarms: 'Alarms', me: 'Me' },
  inbox: { pending: 'To do', decided: 'Done', mine: 'My requests', noneDecided: 'Nothing decided yet', actingFor: 'For user #{id}' },
  tasks: { none: 'No open tasks', complete: 'Complete', completed: 'Task completed', note: 'What was done', due: 'due {at}' },
  alarms: { none: 'No active alarms', acknowledge: 'Acknowledge', acknowledged: 'Alarm acknowledged', acknowledgedState: 'Acknowledged' },
} as const
