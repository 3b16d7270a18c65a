import { startApp } from '@shared/bootstrap'
import Root from './Root.vue'

startApp(Root)
