/**
 * A page of its own for the second factor: Editors cannot open the plugin's configuration page.
 * Everyone sees their own; administrators also see everyone's, issue enrolment codes and reset.
 */
import { Divider } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import { Page } from '../../components/Page';
import { Actors } from './Actors';
import { OtpEnrolment } from './OtpEnrolment';

export function SecondFactorPage() {
  const api = useApi();
  return (
    <Page id="second-factor" subTitle="A code from your authenticator app confirms the actions you take.">
      <OtpEnrolment />
      {api.route === 'admin' && (
        <>
          <Divider />
          <h3>Everyone’s second factor</h3>
          <p>
            A person enrols with an enrolment code you issue for them: when they press “Enrol” without one
            they appear here as waiting; issue their code and give it to them yourself.
          </p>
          <Actors />
        </>
      )}
    </Page>
  );
}
