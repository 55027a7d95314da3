"""Telephony domain of callauth: number policy, verification decision, FastAGI and AMI."""
