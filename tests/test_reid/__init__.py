# Copyright (c) mmlogitkd contributors. All rights reserved.
