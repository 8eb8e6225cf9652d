// H5: placeholder written by H4 so the build links; overwrite this whole file with the real page.
import { Page } from '../ui';
export const NotificationsPage = () => <Page title="Notifications">Coming soon.</Page>;
