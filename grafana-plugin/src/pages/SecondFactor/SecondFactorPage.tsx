/** A page of its own for enrolment: Editors cannot open the plugin's configuration page. */
import { Divider } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import { Page } from '../../components/Page';
import { OtpEnrolment } from './OtpEnrolment';
import { OtpReset } from './OtpReset';

export function SecondFactorPage() {
  const api = useApi();
  return (
    <Page id="second-factor" subTitle="A code from your authenticator app confirms every action you take.">
      <OtpEnrolment />
      {api.route === 'admin' && (
        <>
          <Divider />
          <h3>Reset someone else’s second factor</h3>
          <OtpReset />
        </>
      )}
    </Page>
  );
}
