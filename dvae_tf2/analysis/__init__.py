"""Analyses beside training: AIS convergence, posterior modes, the toy Gaussian study, uncertainty of mean numbers."""
