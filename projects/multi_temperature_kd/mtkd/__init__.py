# Copyright (c) mmlogitkd contributors. All rights reserved.
from .multi_temperature_kd_loss import MultiTemperatureKDLoss

__all__ = ['MultiTemperatureKDLoss']
